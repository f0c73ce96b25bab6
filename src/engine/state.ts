import type { JsonObject, JsonValue, TaskScopeEntry, TaskType } from './definition/types.ts';

/**
 * The shapes the engine stores (as canonical JSON) under the keys of keys.ts. An instance's
 * mutable state is one record, like Temporal's mutable state: every decision about an instance
 * reads one key. Worker/http tasks and timers have their own keys because the dispatcher and the
 * attempt-token checks look them up by id.
 */

export const INSTANCE_STATUSES = [
  'RUNNING',
  'PAUSED',
  'COMPENSATING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'COMPENSATED',
  'COMPENSATION_FAILED',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const CLOSED_STATUSES: ReadonlySet<InstanceStatus> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'COMPENSATED',
  'COMPENSATION_FAILED',
]);

export function isClosed(status: InstanceStatus): boolean {
  return CLOSED_STATUSES.has(status);
}

export interface ErrorInfo {
  code: string;
  message: string;
  /** The task that failed, when a task did. */
  ref?: string;
  details?: JsonValue;
}

/**
 * A running sequence of tasks: the top level, a parallel branch, a foreach iteration, a switch
 * case, a loop body, or one compensation. `owner`/`sequence` locate its task list in the
 * definition (see plan.ts).
 */
export interface Frame {
  id: string;
  /** The container step waiting for this frame; null for the top level and compensations. */
  parentStepId: string | null;
  /** The frame whose `tasks` this frame's expressions also see (null for the top level). */
  parentFrameId: string | null;
  /** The ref of the task whose sequence this is, null for the top level. */
  owner: string | null;
  sequence: string;
  /** Position in the sequence of the next task to start. */
  pc: number;
  /** The step running now; null when idle (between tasks, or held by a pause). */
  activeStepId: string | null;
  /** Output of the last completed task of this frame. */
  lastOutput: JsonValue;
  /** Tasks completed in this frame, by ref (what `tasks.<ref>` sees, over its ancestors'). */
  tasks: Record<string, TaskScopeEntry>;
  /** The position of this frame among its container's children (branch, item). */
  slot: number;
  item?: JsonValue;
  index?: number;
  iteration?: number;
  /** Set on compensation frames: the compensated task's ref. */
  compensationOf?: string;
}

export interface Step {
  id: string;
  ref: string;
  kind: TaskType;
  frameId: string;
  input: JsonValue;
  /** worker/http: the task's id (t/<taskId>). */
  taskId?: string;
  /** wait, signal timeout, subworkflow retry backoff: the timer. */
  timer?: TimerRef;
  /** signal: the name it waits for. */
  signalName?: string;
  /** subworkflow: the child instance. */
  childInstanceId?: string;
  /** subworkflow: attempts so far (a retry starts a new child). */
  attempt?: number;
  /**
   * subworkflow: a failed child waits out its retry backoff (the timer is `timer`); still set with
   * no timer when the backoff ended while the instance was paused (the resume starts the child).
   */
  childRetryPending?: true;
  /** parallel/foreach: the state of each slot (a branch, an item). */
  slots?: SlotStatus[];
  /** parallel/foreach: each slot's output (null until it completed). */
  results?: JsonValue[];
  /** foreach: the items and the next slot to start. */
  items?: JsonValue[];
  nextSlot?: number;
  /** loop: the iteration running now. */
  iteration?: number;
  /** switch/loop: the one child frame. */
  childFrameId?: string;
}

/** A completed task that names a compensation, kept in completion order. */
export interface CompensationEntry {
  ref: string;
  output: JsonValue;
  input: JsonValue;
  item?: JsonValue;
  index?: number;
}

export interface CompensationState {
  /** Why the workflow compensates: the failure, or the cancellation. */
  reason: ErrorInfo;
  cause: 'FAILED' | 'CANCELLED';
  /** The frame running the current compensation, if any. */
  frameId: string | null;
}

export interface InstanceState {
  id: string;
  definitionName: string;
  definitionVersion: number;
  businessKey?: string;
  status: InstanceStatus;
  input: JsonValue;
  vars: JsonObject;
  output?: JsonValue;
  error?: ErrorInfo;
  createdMs: number;
  updatedMs: number;
  closedMs?: number;
  /**
   * The run: the log index of the command that created this instance. It is part of every task,
   * timer and child id the instance hands out, so ids never repeat across runs of one id.
   */
  run: number;
  /** Counter for step, frame, task and timer ids: never reused, also across restarts. */
  nextSeq: number;
  /** Steps started in the instance's life (the maxStepsPerInstance bound). */
  stepCount: number;
  /** Next history sequence number; events below firstHistorySeq were dropped. */
  historySeq: number;
  firstHistorySeq: number;
  parent?: { instanceId: string; stepId: string; depth: number };
  rootFrameId: string;
  frames: Record<string, Frame>;
  steps: Record<string, Step>;
  compensations: CompensationEntry[];
  compensating?: CompensationState;
  /** Signals that arrived before a wait for them, by name, oldest first. */
  bufferedSignals: Record<string, JsonValue[]>;
  /** Ids of the latest signals that carried one (at most maxBufferedSignals), oldest first. */
  recentSignalIds?: string[];
  workflowTimer?: TimerRef;
  /** For RetryWorkflow: the top-level position that failed. */
  failedAtPc?: number;
}

export type SlotStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** Where a timer is, so it can be cancelled without reading it first. */
export interface TimerRef {
  id: string;
  dueMs: number;
}

export type TaskStatus = 'READY' | 'RUNNING' | 'RETRY_WAIT' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface HttpRequestSpec {
  method: string;
  url: JsonValue;
  headers: JsonObject;
  body?: JsonValue;
  expectedStatus: number[];
  timeoutMs: number;
}

/** A worker or http task: one key, all its attempts. The attempt number is its token. */
export interface TaskRecord {
  id: string;
  instanceId: string;
  stepId: string;
  ref: string;
  kind: 'worker' | 'http';
  taskType: string;
  priority: number;
  input: JsonValue;
  http?: HttpRequestSpec;
  status: TaskStatus;
  attempt: number;
  scheduledMs: number;
  /** Set while READY: the outbox key to remove when it leaves the ready queue. */
  readyKey?: string;
  workerId?: string;
  startedMs?: number;
  lastHeartbeatMs?: number;
  /** Timers this task owns now, by purpose. */
  timers: Partial<Record<'scheduleToStart' | 'startToClose' | 'heartbeat' | 'retry', TimerRef>>;
  lastError?: ErrorInfo;
  /** How the current attempt ended, so a repeat of the same report is acknowledged, not re-applied. */
  attemptClosedBy?: 'complete' | 'fail' | 'timeout' | 'cancel';
}

/** The special task type under which http tasks wait for the leader's HTTP executor. */
export const HTTP_TASK_TYPE = 'baton.http';

export type TimerPurpose =
  | 'wait'
  | 'signalTimeout'
  | 'retry'
  | 'scheduleToStart'
  | 'startToClose'
  | 'heartbeat'
  | 'workflowTimeout'
  | 'childRetry';

export interface TimerRecord {
  id: string;
  instanceId: string;
  purpose: TimerPurpose;
  dueMs: number;
  stepId?: string;
  taskId?: string;
  attempt?: number;
}

/** Per task type: dispatch limits from the definitions and the number of attempts running. */
export interface TaskTypeSettings {
  taskType: string;
  running: number;
  concurrencyLimit?: number;
  rateLimitPerSecond?: number;
}

export interface StoredDefinition {
  name: string;
  version: number;
  /** canonicalDefinitionJson(definition): what "identical" compares. */
  canonical: string;
  registeredMs: number;
}
