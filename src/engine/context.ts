import { assert } from '../lib/assert.ts';
import { canonicalJson, decodeStored, utf8 } from './codec.ts';
import type { Definition } from './definition/types.ts';
import { CommandRejectedError } from './errors.ts';
import { UNRECORDED_EVENTS, type EngineEvent, type HistoryEvent } from './events.ts';
import { keys } from './keys.ts';
import type { EngineLimits } from './limits.ts';
import type { Plan } from './plan.ts';
import {
  isClosed,
  type InstanceState,
  type InstanceStatus,
  type TaskRecord,
  type TaskTypeSettings,
  type TimerRecord,
} from './state.ts';
import type { Tx } from './tx.ts';

/** What the leader's dispatcher needs to know about a command without rescanning state. */
export type EngineEffect =
  | { kind: 'taskReady'; taskId: string; taskType: string; priority: number; readyKey: string }
  | { kind: 'taskLeased'; taskId: string; taskType: string; attempt: number; workerId: string }
  | { kind: 'taskClosed'; taskId: string; taskType: string }
  | { kind: 'timerSet'; timerId: string; dueMs: number }
  | { kind: 'timerCancelled'; timerId: string }
  | { kind: 'instanceClosed'; instanceId: string; status: InstanceStatus };

/** A closed child instance tells its parent, after the current decision is done. */
export interface ChildClosedNotice {
  parentInstanceId: string;
  stepId: string;
  childInstanceId: string;
}

/** A child instance the parent cancelled, to be cancelled after the current decision. */
export interface CancelChildNotice {
  childInstanceId: string;
  reason: string;
}

export type Notice =
  ({ kind: 'childClosed' } & ChildClosedNotice) | ({ kind: 'cancelChild' } & CancelChildNotice);

interface LoadedInstance {
  /** Canonical JSON at load time; undefined for an instance created by this command. */
  before: InstanceState | undefined;
  /** The stored bytes as text: an unchanged instance is not written again. */
  beforeJson?: string;
  state: InstanceState;
}

const decoder = new TextDecoder();

/** Loads definitions by name and version through the engine's bounded cache. */
export interface PlanSource {
  plan(tx: Tx, name: string, version: number): Promise<Plan>;
  latestVersion(tx: Tx, name: string): Promise<number | undefined>;
  parse(text: string, format: 'json' | 'yaml' | 'auto'): Definition;
}

/**
 * Everything one command's decision works with: its writes (Tx), its non-deterministic inputs
 * (time, seed, log index), the instances and tasks it touched, the effects for the dispatcher.
 * Instances are written back once, at the end, with their indexes.
 */
export class CommandContext {
  readonly effects: EngineEffect[] = [];
  readonly notices: Notice[] = [];
  private readonly instances = new Map<string, LoadedInstance>();
  private readonly deletedInstances = new Set<string>();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly runningDelta = new Map<string, number>();
  private seedCounter = 0;

  constructor(
    readonly tx: Tx,
    readonly plans: PlanSource,
    readonly limits: EngineLimits,
    readonly logIndex: number,
    readonly nowMs: number,
    private readonly seed: number,
  ) {}

  /** A fresh seed per use, derived from the command's seed: the same on every node. */
  nextSeed(): number {
    this.seedCounter++;
    let z = (this.seed + Math.imul(this.seedCounter, 0x9e3779b9)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  async instance(instanceId: string): Promise<InstanceState | undefined> {
    if (this.deletedInstances.has(instanceId)) return undefined;
    const loaded = this.instances.get(instanceId);
    if (loaded !== undefined) return loaded.state;
    const key = keys.instance(instanceId);
    const bytes = await this.tx.get(key);
    if (bytes === undefined) return undefined;
    const beforeJson = decoder.decode(bytes);
    const state = decodeStored<InstanceState>(bytes, key);
    this.instances.set(instanceId, {
      before: JSON.parse(beforeJson) as InstanceState,
      beforeJson,
      state,
    });
    return state;
  }

  async requireInstance(instanceId: string): Promise<InstanceState> {
    const found = await this.instance(instanceId);
    if (found === undefined) {
      throw new CommandRejectedError(
        'INSTANCE_NOT_FOUND',
        `workflow instance ${instanceId} does not exist`,
      );
    }
    return found;
  }

  createInstance(state: InstanceState): void {
    assert(!this.instances.has(state.id), `instance ${state.id} created twice in one command`);
    this.deletedInstances.delete(state.id);
    this.instances.set(state.id, { before: undefined, state });
  }

  /** Forgets an instance this command deleted (its keys are deleted by the caller). */
  forgetInstance(instanceId: string): void {
    this.instances.delete(instanceId);
    this.deletedInstances.add(instanceId);
  }

  async plan(instance: InstanceState): Promise<Plan> {
    return this.plans.plan(this.tx, instance.definitionName, instance.definitionVersion);
  }

  async task(taskId: string): Promise<TaskRecord | undefined> {
    const cached = this.tasks.get(taskId);
    if (cached !== undefined) return cached;
    const stored = await this.tx.getJson<TaskRecord>(keys.task(taskId));
    if (stored !== undefined) this.tasks.set(taskId, stored);
    return stored;
  }

  putTask(task: TaskRecord): void {
    this.tasks.set(task.id, task);
  }

  /** A task this command already loaded (appliers are synchronous; deciders load first). */
  loadedTask(taskId: string): TaskRecord {
    const task = this.tasks.get(taskId);
    assert(task !== undefined, `task ${taskId} was not loaded before its event was applied`);
    return task;
  }

  /** Counts attempts starting (+1) or ending (-1) per task type; written once in flush. */
  countRunning(taskType: string, delta: number): void {
    this.runningDelta.set(taskType, (this.runningDelta.get(taskType) ?? 0) + delta);
  }

  async timer(timerId: string): Promise<TimerRecord | undefined> {
    return this.tx.getJson<TimerRecord>(keys.timer(timerId));
  }

  /** Records the event in the instance's history (bounded) and applies it. */
  emit(
    instance: InstanceState,
    event: EngineEvent,
    apply: (instance: InstanceState, event: EngineEvent) => void,
  ): void {
    if (isRecorded(event)) this.record(instance, event);
    apply(instance, event);
    instance.updatedMs = this.nowMs;
  }

  private record(instance: InstanceState, event: EngineEvent): void {
    const seq = instance.historySeq;
    const entry: HistoryEvent = { ...event, seq, atMs: this.nowMs };
    let encoded = canonicalJson(entry);
    if (encoded.length > this.limits.maxHistoryEventBytes) encoded = canonicalJson(trimmed(entry));
    this.tx.put(keys.history(instance.id, seq), utf8(encoded));
    instance.historySeq = seq + 1;
    // Keep the newest maxHistoryEvents; the gap below firstHistorySeq is the truncation marker.
    while (instance.historySeq - instance.firstHistorySeq > this.limits.maxHistoryEvents) {
      this.tx.del(keys.history(instance.id, instance.firstHistorySeq));
      instance.firstHistorySeq++;
    }
  }

  /** Writes every touched instance and task with its index entries. */
  async flush(): Promise<void> {
    for (const task of this.tasks.values()) this.tx.putJson(keys.task(task.id), task);
    for (const [taskType, delta] of [...this.runningDelta.entries()].sort()) {
      if (delta === 0) continue;
      const key = keys.taskTypeSettings(taskType);
      const settings = (await this.tx.getJson<TaskTypeSettings>(key)) ?? { taskType, running: 0 };
      settings.running = Math.max(0, settings.running + delta);
      this.tx.putJson(key, settings);
    }
    for (const { before, beforeJson, state } of this.instances.values()) {
      const encoded = canonicalJson(state);
      if (encoded === beforeJson) continue;
      if (encoded.length > this.limits.maxInstanceStateBytes) {
        throw new CommandRejectedError(
          'LIMIT_EXCEEDED',
          `workflow instance ${state.id} would hold ${encoded.length} bytes of state, more than the limit of ${this.limits.maxInstanceStateBytes}: keep variables and task outputs smaller`,
        );
      }
      this.tx.put(keys.instance(state.id), utf8(encoded));
      writeIndexes(this.tx, before, state);
    }
  }
}

/** Fields of events that hold user data of any size. */
const PAYLOAD_FIELDS = ['input', 'output', 'payload', 'vars', 'http', 'details', 'items'] as const;

/** The event with its payload fields replaced by `{ omittedBytes }` (the history bound). */
function trimmed(entry: HistoryEvent): HistoryEvent {
  const copy: Record<string, unknown> = { ...entry };
  for (const field of PAYLOAD_FIELDS) {
    if (copy[field] !== undefined)
      copy[field] = { omittedBytes: canonicalJson(copy[field]).length };
  }
  for (const field of ['error', 'reason'] as const) {
    const error = copy[field];
    if (typeof error === 'object' && error !== null && 'details' in error) {
      copy[field] = { ...error, details: { omittedBytes: canonicalJson(error.details).length } };
    }
  }
  return copy as HistoryEvent;
}

function isRecorded(event: EngineEvent): boolean {
  if (event.type === 'StepStarted') return event.kind !== 'worker' && event.kind !== 'http';
  // Shown where it tells a person when something will happen (a task's retry shows in TaskFailed).
  if (event.type === 'TimerSet')
    return (
      event.purpose === 'wait' ||
      event.purpose === 'signalTimeout' ||
      event.purpose === 'childRetry'
    );
  return !UNRECORDED_EVENTS.has(event.type);
}

function writeIndexes(tx: Tx, before: InstanceState | undefined, after: InstanceState): void {
  if (before === undefined) {
    tx.put(keys.byDefinition(after.definitionName, after.createdMs, after.id), new Uint8Array());
    tx.put(keys.byCreated(after.createdMs, after.id), new Uint8Array());
    if (after.businessKey !== undefined) {
      tx.put(keys.byBusinessKey(after.businessKey, after.createdMs, after.id), new Uint8Array());
      tx.putJson(keys.businessKey(after.definitionName, after.businessKey), after.id);
    }
  }
  if (before?.status !== after.status) {
    if (before !== undefined) tx.del(keys.byStatus(before.status, before.createdMs, before.id));
    tx.put(keys.byStatus(after.status, after.createdMs, after.id), new Uint8Array());
  }
  const closedBefore =
    before !== undefined && isClosed(before.status) ? before.closedMs : undefined;
  const closedAfter = isClosed(after.status) ? after.closedMs : undefined;
  if (closedBefore !== closedAfter) {
    if (closedBefore !== undefined) tx.del(keys.byClosed(closedBefore, after.id));
    if (closedAfter !== undefined) tx.put(keys.byClosed(closedAfter, after.id), new Uint8Array());
  }
}

/** Deletes every index entry of an instance (pruning, or reusing its id). */
export function deleteIndexes(tx: Tx, state: InstanceState): void {
  tx.del(keys.byDefinition(state.definitionName, state.createdMs, state.id));
  tx.del(keys.byCreated(state.createdMs, state.id));
  tx.del(keys.byStatus(state.status, state.createdMs, state.id));
  if (state.closedMs !== undefined) tx.del(keys.byClosed(state.closedMs, state.id));
  if (state.businessKey !== undefined) {
    tx.del(keys.byBusinessKey(state.businessKey, state.createdMs, state.id));
  }
}
