import type { KvReader } from '../lib/state-machine.ts';
import { decodeStored } from './codec.ts';
import type { JsonValue } from './definition/types.ts';
import type { HistoryEvent } from './events.ts';
import { compareKeys, keys, prefixRange, unescapeComponent } from './keys.ts';
import type {
  ErrorInfo,
  InstanceState,
  InstanceStatus,
  StoredDefinition,
  TaskRecord,
  TaskTypeSettings,
  TimerRecord,
} from './state.ts';

/**
 * Reads over the engine's state for the API and the dispatcher. Every query is bounded: pages
 * hold at most `maxPageSize` items, and a page token (the last key returned) continues a list.
 */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

function pageSize(requested: number | undefined): number {
  return Math.max(1, Math.min(requested ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE));
}

async function getJson<T>(reader: KvReader, key: string): Promise<T | undefined> {
  const bytes = await reader.get(key);
  return bytes === undefined ? undefined : decodeStored<T>(bytes, key);
}

export interface CurrentTask {
  stepId: string;
  ref: string;
  kind: string;
  /** worker/http: the task and its attempt. */
  taskId?: string;
  status?: TaskRecord['status'];
  attempt?: number;
  workerId?: string;
  /** signal: the awaited name; subworkflow: the child. */
  signalName?: string;
  childInstanceId?: string;
}

export interface InstanceView {
  instanceId: string;
  definitionName: string;
  definitionVersion: number;
  businessKey?: string;
  status: InstanceStatus;
  input: JsonValue;
  variables: Record<string, JsonValue>;
  output?: JsonValue;
  error?: ErrorInfo;
  createdMs: number;
  updatedMs: number;
  closedMs?: number;
  parentInstanceId?: string;
  currentTasks: CurrentTask[];
  /** Events dropped from the front of the history (the bound); 0 when none. */
  historyTruncatedCount: number;
  history?: HistoryPage;
}

export interface HistoryPage {
  events: HistoryEvent[];
  /** Pass as `afterSeq` to read on; absent at the end. */
  nextAfterSeq?: number;
  truncatedCount: number;
}

export async function getInstanceState(
  reader: KvReader,
  instanceId: string,
): Promise<InstanceState | undefined> {
  return getJson<InstanceState>(reader, keys.instance(instanceId));
}

/** An instance with status, variables, current tasks, output, error and (optionally) history. */
export async function getInstance(
  reader: KvReader,
  instanceId: string,
  options: { includeHistory?: boolean; historyPageSize?: number } = {},
): Promise<InstanceView | undefined> {
  const state = await getInstanceState(reader, instanceId);
  if (state === undefined) return undefined;
  const currentTasks: CurrentTask[] = [];
  const steps = Object.values(state.steps).sort((a, b) => Number(a.id) - Number(b.id));
  for (const step of steps.slice(0, MAX_PAGE_SIZE)) {
    const current: CurrentTask = { stepId: step.id, ref: step.ref, kind: step.kind };
    if (step.taskId !== undefined) {
      const task = await getJson<TaskRecord>(reader, keys.task(step.taskId));
      current.taskId = step.taskId;
      if (task !== undefined) {
        current.status = task.status;
        current.attempt = task.attempt;
        if (task.workerId !== undefined) current.workerId = task.workerId;
      }
    }
    if (step.signalName !== undefined) current.signalName = step.signalName;
    if (step.childInstanceId !== undefined) current.childInstanceId = step.childInstanceId;
    currentTasks.push(current);
  }
  const view: InstanceView = {
    instanceId: state.id,
    definitionName: state.definitionName,
    definitionVersion: state.definitionVersion,
    status: state.status,
    input: state.input,
    variables: state.vars,
    createdMs: state.createdMs,
    updatedMs: state.updatedMs,
    currentTasks,
    historyTruncatedCount: state.firstHistorySeq,
  };
  if (state.businessKey !== undefined) view.businessKey = state.businessKey;
  if (state.output !== undefined) view.output = state.output;
  if (state.error !== undefined) view.error = state.error;
  if (state.closedMs !== undefined) view.closedMs = state.closedMs;
  if (state.parent !== undefined) view.parentInstanceId = state.parent.instanceId;
  if (options.includeHistory === true) {
    view.history = await getHistory(reader, instanceId, {
      pageSize: options.historyPageSize ?? DEFAULT_PAGE_SIZE,
    });
  }
  return view;
}

/** A page of an instance's history in order; events before the bound are gone (truncatedCount). */
export async function getHistory(
  reader: KvReader,
  instanceId: string,
  options: { afterSeq?: number; pageSize?: number } = {},
): Promise<HistoryPage> {
  const limit = pageSize(options.pageSize);
  const state = await getInstanceState(reader, instanceId);
  const gte =
    options.afterSeq === undefined
      ? keys.historyOf(instanceId)
      : keys.history(instanceId, options.afterSeq + 1);
  const entries = await reader.scan({
    gte,
    lt: prefixRange(keys.historyOf(instanceId)).lt,
    limit: limit + 1,
  });
  const events = entries
    .slice(0, limit)
    .map(([key, value]) => decodeStored<HistoryEvent>(value, key));
  const page: HistoryPage = { events, truncatedCount: state?.firstHistorySeq ?? 0 };
  const last = events.at(-1);
  if (entries.length > limit && last !== undefined) page.nextAfterSeq = last.seq;
  return page;
}

export interface ListFilter {
  definitionName?: string;
  status?: InstanceStatus;
  businessKey?: string;
  /** Creation time range [createdFromMs, createdToMs). */
  createdFromMs?: number;
  createdToMs?: number;
}

export interface InstanceSummary {
  instanceId: string;
  definitionName: string;
  definitionVersion: number;
  businessKey?: string;
  status: InstanceStatus;
  createdMs: number;
  closedMs?: number;
}

export interface InstancePage {
  instances: InstanceSummary[];
  /** Pass as `pageToken` for the next page; absent at the end. */
  nextPageToken?: string;
}

/**
 * Lists instances newest first by the most selective index the filter allows (business key,
 * then definition, then status, then creation time); the other criteria filter that page. A page
 * may hold fewer than `pageSize` matches and still have a next token.
 */
export async function listInstances(
  reader: KvReader,
  filter: ListFilter,
  options: { pageSize?: number; pageToken?: string } = {},
): Promise<InstancePage> {
  const limit = pageSize(options.pageSize);
  const prefix =
    filter.businessKey !== undefined
      ? keys.byBusinessKeyPrefix(filter.businessKey)
      : filter.definitionName !== undefined
        ? keys.byDefinitionPrefix(filter.definitionName)
        : filter.status !== undefined
          ? keys.byStatusPrefix(filter.status)
          : keys.byCreatedPrefix();
  const from =
    filter.createdFromMs === undefined ? prefix : prefix + keys.createdFrom(filter.createdFromMs);
  let to =
    filter.createdToMs === undefined
      ? prefixRange(prefix).lt
      : prefix + keys.createdFrom(filter.createdToMs);
  if (options.pageToken !== undefined && compareKeys(options.pageToken, to) < 0) {
    if (!options.pageToken.startsWith(prefix)) return { instances: [] };
    to = options.pageToken;
  }
  const entries = await reader.scan({ gte: from, lt: to, limit, reverse: true });
  const instances: InstanceSummary[] = [];
  for (const [key] of entries) {
    const state = await getInstanceState(reader, key.slice(key.lastIndexOf('/') + 1));
    if (state === undefined || !matches(state, filter)) continue;
    const summary: InstanceSummary = {
      instanceId: state.id,
      definitionName: state.definitionName,
      definitionVersion: state.definitionVersion,
      status: state.status,
      createdMs: state.createdMs,
    };
    if (state.businessKey !== undefined) summary.businessKey = state.businessKey;
    if (state.closedMs !== undefined) summary.closedMs = state.closedMs;
    instances.push(summary);
  }
  const page: InstancePage = { instances };
  const lastKey = entries.at(-1)?.[0];
  if (entries.length === limit && lastKey !== undefined) page.nextPageToken = lastKey;
  return page;
}

function matches(state: InstanceState, filter: ListFilter): boolean {
  if (filter.definitionName !== undefined && state.definitionName !== filter.definitionName)
    return false;
  if (filter.status !== undefined && state.status !== filter.status) return false;
  if (filter.businessKey !== undefined && state.businessKey !== filter.businessKey) return false;
  if (filter.createdFromMs !== undefined && state.createdMs < filter.createdFromMs) return false;
  if (filter.createdToMs !== undefined && state.createdMs >= filter.createdToMs) return false;
  return true;
}

export async function getTask(reader: KvReader, taskId: string): Promise<TaskRecord | undefined> {
  return getJson<TaskRecord>(reader, keys.task(taskId));
}

/** Ready tasks of a type in dispatch order (priority, then age): what the dispatcher queues. */
export async function listReadyTasks(
  reader: KvReader,
  taskType: string,
  limit: number,
): Promise<TaskRecord[]> {
  const entries = await reader.scan({
    ...prefixRange(keys.readyOfType(taskType)),
    limit: pageSize(limit),
  });
  const tasks: TaskRecord[] = [];
  for (const [key, value] of entries) {
    const task = await getTask(reader, decodeStored<string>(value, key));
    if (task !== undefined) tasks.push(task);
  }
  return tasks;
}

/** Every ready-queue entry after `afterKey` (for rebuilding dispatch after a failover). */
export async function scanReadyQueue(
  reader: KvReader,
  options: { afterKey?: string; limit: number },
): Promise<Array<{ readyKey: string; taskId: string }>> {
  const range = prefixRange(keys.readyAll());
  const entries = await reader.scan({
    gte: options.afterKey === undefined ? range.gte : `${options.afterKey}\u0000`,
    lt: range.lt,
    limit: pageSize(options.limit),
  });
  return entries.map(([key, value]) => ({
    readyKey: key,
    taskId: decodeStored<string>(value, key),
  }));
}

/** Timers in due order up to `dueUpToMs` (inclusive): waits, retries, leases, heartbeats. */
export async function listDueTimers(
  reader: KvReader,
  dueUpToMs: number,
  limit: number,
): Promise<TimerRecord[]> {
  const entries = await reader.scan({
    gte: keys.duePrefix(),
    lt: keys.dueUpTo(dueUpToMs),
    limit: pageSize(limit),
  });
  return entries.map(([key, value]) => decodeStored<TimerRecord>(value, key));
}

/** The earliest timers whatever their due time (the dispatcher arms its timer wheel with these). */
export async function listNextTimers(reader: KvReader, limit: number): Promise<TimerRecord[]> {
  const entries = await reader.scan({ ...prefixRange(keys.duePrefix()), limit: pageSize(limit) });
  return entries.map(([key, value]) => decodeStored<TimerRecord>(value, key));
}

export async function getTaskTypeSettings(
  reader: KvReader,
  taskType: string,
): Promise<TaskTypeSettings | undefined> {
  return getJson<TaskTypeSettings>(reader, keys.taskTypeSettings(taskType));
}

export async function listTaskTypeSettings(
  reader: KvReader,
  limit: number,
): Promise<TaskTypeSettings[]> {
  const entries = await reader.scan({
    ...prefixRange(keys.taskTypesAll()),
    limit: pageSize(limit),
  });
  return entries.map(([key, value]) => decodeStored<TaskTypeSettings>(value, key));
}

export interface DefinitionView {
  name: string;
  version: number;
  registeredMs: number;
  /** The canonical JSON of the validated definition. */
  definition: string;
}

/** A definition version, or the latest when `version` is absent. */
export async function getDefinition(
  reader: KvReader,
  name: string,
  version?: number,
): Promise<DefinitionView | undefined> {
  const resolved = version ?? (await getJson<number>(reader, keys.latestDefinition(name)));
  if (resolved === undefined) return undefined;
  const stored = await getJson<StoredDefinition>(reader, keys.definition(name, resolved));
  if (stored === undefined) return undefined;
  return {
    name: stored.name,
    version: stored.version,
    registeredMs: stored.registeredMs,
    definition: stored.canonical,
  };
}

/** Registered definition names with their latest version, in name order, after `afterName`. */
export async function listDefinitions(
  reader: KvReader,
  options: { afterName?: string; pageSize?: number } = {},
): Promise<Array<{ name: string; latestVersion: number }>> {
  const range = prefixRange('dl/');
  const gte =
    options.afterName === undefined
      ? range.gte
      : `${keys.latestDefinition(options.afterName)}\u0000`;
  const entries = await reader.scan({ gte, lt: range.lt, limit: pageSize(options.pageSize) });
  return entries.map(([key, value]) => ({
    name: unescapeComponent(key.slice('dl/'.length)),
    latestVersion: decodeStored<number>(value, key),
  }));
}

/** Versions of one definition, newest first. */
export async function listDefinitionVersions(
  reader: KvReader,
  name: string,
  limit: number,
): Promise<Array<Omit<DefinitionView, 'definition'>>> {
  const entries = await reader.scan({
    ...prefixRange(keys.definitionVersions(name)),
    limit: pageSize(limit),
    reverse: true,
  });
  return entries.map(([key, value]) => {
    const stored = decodeStored<StoredDefinition>(value, key);
    return { name: stored.name, version: stored.version, registeredMs: stored.registeredMs };
  });
}

/** One line per event, for people and golden tests: `#3 TaskScheduled reserve attempt=1`. */
export function formatHistory(events: readonly HistoryEvent[]): string[] {
  return events.map((event) => `#${event.seq} ${describeEvent(event)}`);
}

function describeEvent(event: HistoryEvent): string {
  switch (event.type) {
    case 'WorkflowStarted':
      return `WorkflowStarted ${event.definitionName} v${event.version}`;
    case 'WorkflowCompleted':
      return `WorkflowCompleted output=${JSON.stringify(event.output)}`;
    case 'WorkflowFailed':
      return `WorkflowFailed ${event.error.code}${event.error.ref === undefined ? '' : ` at ${event.error.ref}`}`;
    case 'WorkflowCancelled':
    case 'WorkflowTerminated':
      return `${event.type} "${event.reason}"`;
    case 'CompensationStarted':
      return `CompensationStarted cause=${event.cause} ${event.reason.code}${event.reason.ref === undefined ? '' : ` at ${event.reason.ref}`}`;
    case 'CompensationScheduled':
      return `CompensationScheduled ${event.compensationRef} for ${event.ref}`;
    case 'WorkflowCompensationFailed':
      return `WorkflowCompensationFailed ${event.error.message}`;
    case 'WorkflowRetried':
      return `WorkflowRetried from=${event.fromPosition}`;
    case 'StepStarted':
      return `StepStarted ${event.ref} (${event.kind})`;
    case 'StepCompleted':
      return `StepCompleted ${event.ref} output=${JSON.stringify(event.output)}`;
    case 'StepFailed':
      return `StepFailed ${event.ref} ${event.error.code}`;
    case 'StepCancelled':
      return `StepCancelled ${event.ref}`;
    case 'VariablesSet':
      return `VariablesSet ${event.ref} ${JSON.stringify(event.vars)}`;
    case 'BranchChosen':
      return `BranchChosen ${event.ref} ${event.branch}`;
    case 'FanOutStarted':
      return `FanOutStarted ${event.ref} slots=${event.slots}`;
    case 'LoopIterationStarted':
      return `LoopIterationStarted ${event.ref} iteration=${event.iteration}`;
    case 'TaskScheduled':
      return `TaskScheduled ${event.ref} type=${event.taskType} attempt=${event.attempt}`;
    case 'TaskStarted':
      return `TaskStarted ${event.ref} attempt=${event.attempt} worker=${event.workerId}`;
    case 'TaskCompleted':
      return `TaskCompleted ${event.ref} attempt=${event.attempt} output=${JSON.stringify(event.output)}`;
    case 'TaskFailed':
      return `TaskFailed ${event.ref} attempt=${event.attempt} ${event.error.code}${event.retryAtMs === undefined ? '' : ` retryAt=${event.retryAtMs}`}`;
    case 'TaskTimedOut':
      return `TaskTimedOut ${event.ref} attempt=${event.attempt} ${event.timeout}${event.retryAtMs === undefined ? '' : ` retryAt=${event.retryAtMs}`}`;
    case 'TaskCancelled':
      return `TaskCancelled ${event.ref}`;
    case 'TaskHeld':
      return `TaskHeld ${event.ref}`;
    case 'TaskReleased':
      return `TaskReleased ${event.ref}`;
    case 'TimerSet':
      return `TimerSet ${event.purpose} due=${event.dueMs}`;
    case 'TimerFired':
      return `TimerFired ${event.purpose}${event.taskId === undefined ? '' : ` attempt=${event.attempt ?? '?'}`}`;
    case 'SignalReceived':
      return `SignalReceived ${event.name}${event.buffered ? ' (buffered)' : ''} payload=${JSON.stringify(event.payload)}`;
    case 'SignalConsumed':
      return `SignalConsumed ${event.ref} ${event.name}`;
    case 'ChildWorkflowStarted':
      return `ChildWorkflowStarted ${event.ref} ${event.definitionName} v${event.version} id=${event.childInstanceId}`;
    case 'ChildWorkflowClosed':
      return `ChildWorkflowClosed ${event.ref} ${event.status}`;
    case 'WorkflowPaused':
    case 'WorkflowResumed':
    case 'WorkflowRestarted':
    case 'WorkflowCompensated':
    case 'FrameStarted':
    case 'FrameClosed':
    case 'TaskHeartbeat':
    case 'TimerCancelled':
      return event.type;
  }
}
