import { assert } from '../lib/assert.ts';
import { emit } from './appliers/index.ts';
import { canonicalJson } from './codec.ts';
import type { CommandOf } from './commands.ts';
import { deleteIndexes, type CommandContext } from './context.ts';
import { canonicalDefinitionJson } from './definition/canonical.ts';
import { DefinitionInvalidError } from './definition/errors.ts';
import type { Definition, JsonValue } from './definition/types.ts';
import { CommandRejectedError } from './errors.ts';
import * as flow from './flow.ts';
import {
  CHILD_ID_SEPARATOR,
  instanceOfChildId,
  keys,
  lastComponent,
  prefixRange,
  runOfChildId,
} from './keys.ts';
import { Plan } from './plan.ts';
import {
  isClosed,
  type InstanceState,
  type InstanceStatus,
  type StoredDefinition,
  type TaskRecord,
  type TaskTypeSettings,
  type TimerRecord,
} from './state.ts';

/**
 * One decider per command: validate against state, then emit events through the interpreter.
 * A check that fails throws CommandRejectedError before or after writing: the engine drops the
 * command's Tx either way, so a rejection never changes state.
 */

export interface ActivatedTask {
  taskId: string;
  attempt: number;
  instanceId: string;
  ref: string;
  taskType: string;
  input: JsonValue;
  http?: TaskRecord['http'];
  leaseExpiresMs: number;
}

export type EngineResponse =
  | { type: 'RegisterDefinition'; name: string; version: number; created: boolean }
  | { type: 'StartWorkflow'; instanceId: string; status: InstanceStatus; existing: boolean }
  | { type: 'ActivateTasks'; tasks: ActivatedTask[] }
  | { type: 'CompleteTask' | 'FailTask'; taskId: string; duplicate: boolean }
  | { type: 'HeartbeatTask'; taskId: string }
  | { type: 'FireTimer'; timerId: string }
  | { type: 'Signal'; instanceId: string; delivered: boolean; duplicate: boolean }
  | {
      type:
        | 'CancelWorkflow'
        | 'TerminateWorkflow'
        | 'PauseWorkflow'
        | 'ResumeWorkflow'
        | 'RetryWorkflow'
        | 'RestartWorkflow';
      instanceId: string;
      status: InstanceStatus;
    }
  | { type: 'PruneClosed'; pruned: string[] };

function reject(
  code: ConstructorParameters<typeof CommandRejectedError>[0],
  message: string,
): never {
  throw new CommandRejectedError(code, message);
}

function checkPayload(ctx: CommandContext, value: JsonValue | undefined, what: string): JsonValue {
  const json = canonicalJson(value ?? null);
  if (json.length > ctx.limits.maxPayloadBytes) {
    reject(
      'LIMIT_EXCEEDED',
      `${what} is ${json.length} bytes, more than the limit of ${ctx.limits.maxPayloadBytes}`,
    );
  }
  return value ?? null;
}

// ---------------------------------------------------------------------------------------------
// Definitions

export async function registerDefinition(
  ctx: CommandContext,
  command: CommandOf<'RegisterDefinition'>,
): Promise<EngineResponse> {
  let definition: Definition;
  try {
    definition = ctx.plans.parse(command.source, command.format);
  } catch (error) {
    if (error instanceof DefinitionInvalidError) reject('DEFINITION_INVALID', error.message);
    throw error;
  }
  const canonical = canonicalDefinitionJson(definition);
  const latest = await ctx.plans.latestVersion(ctx.tx, definition.name);
  if (latest !== undefined) {
    const stored = await ctx.tx.getJson<StoredDefinition>(keys.definition(definition.name, latest));
    if (stored?.canonical === canonical)
      return { type: 'RegisterDefinition', name: definition.name, version: latest, created: false };
  }
  const version = (latest ?? 0) + 1;
  const record: StoredDefinition = {
    name: definition.name,
    version,
    canonical,
    registeredMs: command.nowMs,
  };
  ctx.tx.putJson(keys.definition(definition.name, version), record);
  ctx.tx.putJson(keys.latestDefinition(definition.name), version);
  await recordTaskTypeLimits(ctx, new Plan(JSON.parse(canonical) as Definition, version));
  return { type: 'RegisterDefinition', name: definition.name, version, created: true };
}

/** The latest registered definition's rate and concurrency limits become the task type's. */
async function recordTaskTypeLimits(ctx: CommandContext, plan: Plan): Promise<void> {
  for (const task of plan.allTasks()) {
    if (task.type !== 'worker') continue;
    if (task.concurrencyLimit === undefined && task.rateLimitPerSecond === undefined) continue;
    const key = keys.taskTypeSettings(task.taskType);
    const settings = (await ctx.tx.getJson<TaskTypeSettings>(key)) ?? {
      taskType: task.taskType,
      running: 0,
    };
    if (task.concurrencyLimit !== undefined) settings.concurrencyLimit = task.concurrencyLimit;
    if (task.rateLimitPerSecond !== undefined)
      settings.rateLimitPerSecond = task.rateLimitPerSecond;
    ctx.tx.putJson(key, settings);
  }
}

// ---------------------------------------------------------------------------------------------
// Instances

async function planFor(
  ctx: CommandContext,
  name: string,
  version: number | undefined,
): Promise<Plan> {
  const resolved = version ?? (await ctx.plans.latestVersion(ctx.tx, name));
  if (resolved === undefined)
    reject('DEFINITION_NOT_FOUND', `no workflow definition named ${name} is registered`);
  const stored = await ctx.tx.getJson<StoredDefinition>(keys.definition(name, resolved));
  if (stored === undefined)
    reject('DEFINITION_NOT_FOUND', `workflow definition ${name} has no version ${resolved}`);
  return ctx.plans.plan(ctx.tx, name, resolved);
}

export async function startWorkflow(
  ctx: CommandContext,
  command: CommandOf<'StartWorkflow'>,
): Promise<EngineResponse> {
  if (command.instanceId.includes(CHILD_ID_SEPARATOR)) {
    reject(
      'BAD_COMMAND',
      `workflow id ${command.instanceId} contains '${CHILD_ID_SEPARATOR}', which only child instances' ids may hold: choose an id without it`,
    );
  }
  const plan = await planFor(ctx, command.definitionName, command.version);
  const input = checkPayload(ctx, command.input, 'workflow input');
  const policy = command.reusePolicy ?? 'REJECT_DUPLICATE';
  const existing = await ctx.instance(command.instanceId);
  if (existing !== undefined) {
    const answer = reuse(existing, policy, `workflow id ${command.instanceId}`);
    if (answer !== undefined) return answer;
    const purged = await purgeTree(ctx, existing);
    if (purged === undefined) {
      reject(
        'LIMIT_EXCEEDED',
        `the earlier run of workflow id ${command.instanceId} owns more than ${ctx.limits.maxKeysPerPrunedInstance} keys, more than one command may delete: start under another id`,
      );
    }
  }
  if (command.businessKey !== undefined) {
    const holder = await ctx.tx.getJson<string>(
      keys.businessKey(plan.definition.name, command.businessKey),
    );
    const other =
      holder === undefined || holder === command.instanceId
        ? undefined
        : await ctx.instance(holder);
    if (other !== undefined) {
      const answer = reuse(other, policy, `business key ${command.businessKey}`);
      if (answer !== undefined) return answer;
    }
  }
  const instance = await flow.startInstance(ctx, {
    instanceId: command.instanceId,
    plan,
    input,
    ...(command.businessKey === undefined ? {} : { businessKey: command.businessKey }),
  });
  return {
    type: 'StartWorkflow',
    instanceId: instance.id,
    status: instance.status,
    existing: false,
  };
}

/** The reuse policy against an earlier run: an answer, a rejection, or undefined to go ahead. */
function reuse(
  existing: InstanceState,
  policy: CommandOf<'StartWorkflow'>['reusePolicy'],
  what: string,
): EngineResponse | undefined {
  switch (policy) {
    case 'RETURN_EXISTING':
      return {
        type: 'StartWorkflow',
        instanceId: existing.id,
        status: existing.status,
        existing: true,
      };
    case 'ALLOW_IF_CLOSED':
      if (isClosed(existing.status)) return undefined;
      return reject(
        'INSTANCE_ALREADY_EXISTS',
        `${what} is in use by instance ${existing.id}, which is still ${existing.status}`,
      );
    case 'REJECT_DUPLICATE':
    case undefined:
      return reject(
        'INSTANCE_ALREADY_EXISTS',
        `${what} is already used by instance ${existing.id} (${existing.status}); pass reusePolicy RETURN_EXISTING or ALLOW_IF_CLOSED to reuse it`,
      );
  }
}

/** PruneClosed looks at up to this many times its quota of index entries, so skips cannot stall it. */
const PRUNE_SCAN_FACTOR = 2;

/**
 * Deletes a closed instance with everything it owns (history, tasks, timers, index entries,
 * business key) and its closed descendants, in one go. A descendant still running (a child that
 * compensates after its parent closed, or one an operator restarted) is left to finish on its own:
 * its ids carry its parent's earlier run, so nothing of a later run can be taken for it, and it is
 * pruned once it closes; so are closed descendants past the command's budget.
 * Returns the ids deleted, or undefined — deleting nothing — when the instance alone owns more
 * keys than one command may delete (maxKeysPerPrunedInstance).
 */
async function purgeTree(
  ctx: CommandContext,
  instance: InstanceState,
): Promise<string[] | undefined> {
  assert(isClosed(instance.status), `purge of ${instance.id}, which is ${instance.status}`);
  let budget = ctx.limits.maxKeysPerPrunedInstance;
  const owned = await ownedKeys(ctx, instance.id, budget);
  if (owned === undefined) return undefined;
  budget -= owned.length;
  await purgeInstance(ctx, instance, owned);
  const purged = new Set([instance.id]);
  // Key order puts every parent before its own descendants (its id is their prefix).
  const descendants = await ctx.tx.scan({
    ...prefixRange(keys.descendantsOf(instance.id)),
    limit: ctx.limits.maxPrunePerCommand,
  });
  for (const [key] of descendants) {
    const descendant = await ctx.instance(key.slice(keys.instancesAll().length));
    const parentId = descendant?.parent?.instanceId;
    if (
      descendant === undefined ||
      parentId === undefined ||
      !purged.has(parentId) ||
      !isClosed(descendant.status)
    )
      continue;
    const keysOfDescendant = await ownedKeys(ctx, descendant.id, budget);
    if (keysOfDescendant === undefined) break;
    budget -= keysOfDescendant.length;
    await purgeInstance(ctx, descendant, keysOfDescendant);
    purged.add(descendant.id);
  }
  return [...purged];
}

type OwnedKeys = Array<readonly [string, Uint8Array]>;

/** An instance's history, task and timer keys, or undefined when there are more than `budget`. */
async function ownedKeys(
  ctx: CommandContext,
  instanceId: string,
  budget: number,
): Promise<OwnedKeys | undefined> {
  const owned: OwnedKeys = [];
  for (const prefix of [
    keys.historyOf(instanceId),
    keys.tasksOf(instanceId),
    keys.timersOf(instanceId),
  ]) {
    const entries = await ctx.tx.scan({ ...prefixRange(prefix), limit: budget - owned.length + 1 });
    owned.push(...entries);
    if (owned.length > budget) return undefined;
  }
  return owned;
}

async function purgeInstance(
  ctx: CommandContext,
  instance: InstanceState,
  owned: OwnedKeys,
): Promise<void> {
  const decoder = new TextDecoder();
  for (const [key, value] of owned) {
    if (key.startsWith(keys.timersOf(instance.id))) {
      const timer = JSON.parse(decoder.decode(value)) as TimerRecord;
      ctx.tx.del(keys.due(timer.dueMs, timer.id));
    } else if (key.startsWith(keys.tasksOf(instance.id))) {
      const task = JSON.parse(decoder.decode(value)) as TaskRecord;
      if (task.readyKey !== undefined) ctx.tx.del(task.readyKey);
    }
    ctx.tx.del(key);
  }
  deleteIndexes(ctx.tx, instance);
  if (instance.businessKey !== undefined) {
    const key = keys.businessKey(instance.definitionName, instance.businessKey);
    if ((await ctx.tx.getJson<string>(key)) === instance.id) ctx.tx.del(key);
  }
  ctx.tx.del(keys.instance(instance.id));
  ctx.forgetInstance(instance.id);
}

export async function pruneClosed(
  ctx: CommandContext,
  command: CommandOf<'PruneClosed'>,
): Promise<EngineResponse> {
  const limit = Math.min(command.maxInstances, ctx.limits.maxPrunePerCommand);
  const closed = await ctx.tx.scan({
    gte: keys.byClosedPrefix(),
    lt: keys.byClosed(command.cutoffMs, ''),
    limit: limit * PRUNE_SCAN_FACTOR,
  });
  const pruned: string[] = [];
  let trees = 0;
  for (const [key] of closed) {
    if (trees >= limit) break;
    // Gone already (a descendant of a tree pruned above); never an assert: the entries are data.
    const instance = await ctx.instance(lastComponent(key));
    if (instance === undefined || !isClosed(instance.status)) continue;
    const purged = await purgeTree(ctx, instance);
    if (purged === undefined) continue; // too big for one command (see purgeTree)
    pruned.push(...purged);
    trees++;
  }
  return { type: 'PruneClosed', pruned };
}

// ---------------------------------------------------------------------------------------------
// Tasks

export async function activateTasks(
  ctx: CommandContext,
  command: CommandOf<'ActivateTasks'>,
): Promise<EngineResponse> {
  const settings = await ctx.tx.getJson<TaskTypeSettings>(keys.taskTypeSettings(command.taskType));
  const headroom =
    settings?.concurrencyLimit === undefined
      ? Number.MAX_SAFE_INTEGER
      : Math.max(0, settings.concurrencyLimit - settings.running);
  const limit = Math.min(command.maxTasks, ctx.limits.maxTasksPerActivation, headroom);
  if (limit === 0) return { type: 'ActivateTasks', tasks: [] };
  const ready = await ctx.tx.scan({ ...prefixRange(keys.readyOfType(command.taskType)), limit });
  const tasks: ActivatedTask[] = [];
  for (const [key, value] of ready) {
    const taskId = JSON.parse(new TextDecoder().decode(value)) as string;
    const task = await ctx.task(taskId);
    assert(
      task?.status === 'READY' && task.readyKey === key,
      `ready queue entry ${key} points at a task that is not ready`,
    );
    const instance = await ctx.instance(task.instanceId);
    assert(instance !== undefined, `task ${taskId} belongs to a missing instance`);
    const leaseExpiresMs = await flow.startTaskAttempt(ctx, instance, task, command.workerId);
    tasks.push({
      taskId,
      attempt: task.attempt,
      instanceId: task.instanceId,
      ref: task.ref,
      taskType: task.taskType,
      input: task.input,
      ...(task.http === undefined ? {} : { http: task.http }),
      leaseExpiresMs,
    });
  }
  return { type: 'ActivateTasks', tasks };
}

/** The attempt-token check shared by complete, fail and heartbeat. */
async function runningTask(
  ctx: CommandContext,
  taskId: string,
  attempt: number,
): Promise<{ task: TaskRecord; duplicate: boolean }> {
  const task = await ctx.task(taskId);
  if (task === undefined) return rejectMissingTask(ctx, taskId);
  if (attempt !== task.attempt) {
    reject(
      'STALE_ATTEMPT',
      `attempt ${attempt} of task ${taskId} is not current (the current attempt is ${task.attempt}); drop this result`,
    );
  }
  if (task.attemptClosedBy === 'complete' || task.attemptClosedBy === 'fail')
    return { task, duplicate: true };
  if (task.status !== 'RUNNING') {
    reject(
      'TASK_NOT_RUNNING',
      `task ${taskId} attempt ${attempt} is ${task.status}${task.attemptClosedBy === undefined ? '' : ` (${task.attemptClosedBy})`}, not running`,
    );
  }
  return { task, duplicate: false };
}

/** A task that is not there: of an earlier run of its workflow id (stale), or unknown. */
async function rejectMissingTask(ctx: CommandContext, taskId: string): Promise<never> {
  const run = runOfChildId(taskId);
  const owner = run === undefined ? undefined : await ctx.instance(instanceOfChildId(taskId));
  if (owner !== undefined && run !== undefined && run < owner.run) {
    reject(
      'STALE_ATTEMPT',
      `task ${taskId} belongs to run ${run} of workflow ${owner.id}, which run ${owner.run} has replaced; drop this result`,
    );
  }
  return reject('TASK_NOT_FOUND', `task ${taskId} does not exist`);
}

async function instanceOfTask(ctx: CommandContext, task: TaskRecord): Promise<InstanceState> {
  const instance = await ctx.instance(task.instanceId);
  assert(instance !== undefined, `task ${task.id} belongs to a missing instance`);
  return instance;
}

export async function completeTask(
  ctx: CommandContext,
  command: CommandOf<'CompleteTask'>,
): Promise<EngineResponse> {
  const { task, duplicate } = await runningTask(ctx, command.taskId, command.attempt);
  if (duplicate) return { type: 'CompleteTask', taskId: task.id, duplicate: true };
  const output = checkPayload(ctx, command.output, `output of task ${task.id}`);
  await flow.completeTaskAttempt(ctx, await instanceOfTask(ctx, task), task, output);
  return { type: 'CompleteTask', taskId: task.id, duplicate: false };
}

export async function failTask(
  ctx: CommandContext,
  command: CommandOf<'FailTask'>,
): Promise<EngineResponse> {
  const { task, duplicate } = await runningTask(ctx, command.taskId, command.attempt);
  if (duplicate) return { type: 'FailTask', taskId: task.id, duplicate: true };
  const details =
    command.error.details === undefined
      ? undefined
      : checkPayload(ctx, command.error.details, `failure details of task ${task.id}`);
  await flow.failTaskAttempt(
    ctx,
    await instanceOfTask(ctx, task),
    task,
    {
      code: command.error.code,
      message: command.error.message,
      ...(details === undefined ? {} : { details }),
      ...(command.error.retryable === undefined ? {} : { retryable: command.error.retryable }),
    },
    'fail',
  );
  return { type: 'FailTask', taskId: task.id, duplicate: false };
}

export async function heartbeatTask(
  ctx: CommandContext,
  command: CommandOf<'HeartbeatTask'>,
): Promise<EngineResponse> {
  const { task, duplicate } = await runningTask(ctx, command.taskId, command.attempt);
  if (duplicate)
    reject(
      'TASK_NOT_RUNNING',
      `task ${task.id} attempt ${task.attempt} already reported its result`,
    );
  emit(ctx, await instanceOfTask(ctx, task), {
    type: 'TaskHeartbeat',
    taskId: task.id,
    attempt: task.attempt,
  });
  return { type: 'HeartbeatTask', taskId: task.id };
}

export async function fireTimer(
  ctx: CommandContext,
  command: CommandOf<'FireTimer'>,
): Promise<EngineResponse> {
  const timer = await ctx.timer(command.timerId);
  if (timer === undefined)
    reject(
      'TIMER_NOT_FOUND',
      `timer ${command.timerId} does not exist (already fired or cancelled)`,
    );
  if (timer.dueMs > command.nowMs)
    reject(
      'TIMER_NOT_DUE',
      `timer ${timer.id} is due at ${timer.dueMs}, not yet at ${command.nowMs}`,
    );
  const instance = await ctx.instance(timer.instanceId);
  assert(instance !== undefined, `timer ${timer.id} belongs to a missing instance`);
  await flow.timerFired(ctx, instance, timer);
  return { type: 'FireTimer', timerId: timer.id };
}

// ---------------------------------------------------------------------------------------------
// Operations on instances

export async function signal(
  ctx: CommandContext,
  command: CommandOf<'Signal'>,
): Promise<EngineResponse> {
  const instance = await ctx.requireInstance(command.instanceId);
  if (isClosed(instance.status))
    reject(
      'INSTANCE_CLOSED',
      `instance ${instance.id} is ${instance.status}; it takes no more signals`,
    );
  if (
    command.signalId !== undefined &&
    (instance.recentSignalIds ?? []).includes(command.signalId)
  ) {
    return { type: 'Signal', instanceId: instance.id, delivered: false, duplicate: true };
  }
  const payload = checkPayload(ctx, command.payload, `payload of signal ${command.name}`);
  const waitingBefore = Object.values(instance.steps).some(
    (step) => step.kind === 'signal' && step.signalName === command.name,
  );
  const accepted = await flow.deliverSignal(ctx, instance, command.name, payload, command.signalId);
  if (!accepted) {
    reject(
      'LIMIT_EXCEEDED',
      `instance ${instance.id} already buffers ${ctx.limits.maxBufferedSignals} signals that no step waits for`,
    );
  }
  return { type: 'Signal', instanceId: instance.id, delivered: waitingBefore, duplicate: false };
}

type Operation =
  | 'CancelWorkflow'
  | 'TerminateWorkflow'
  | 'PauseWorkflow'
  | 'ResumeWorkflow'
  | 'RetryWorkflow'
  | 'RestartWorkflow';

export async function operate(
  ctx: CommandContext,
  command: CommandOf<Operation>,
): Promise<EngineResponse> {
  const instance = await ctx.requireInstance(command.instanceId);
  const status = instance.status;
  const closed = isClosed(status);
  switch (command.type) {
    case 'CancelWorkflow':
      if (status !== 'RUNNING' && status !== 'PAUSED')
        reject(
          closed ? 'INSTANCE_CLOSED' : 'INSTANCE_NOT_RUNNING',
          `instance ${instance.id} is ${status}; only a running or paused instance can be cancelled`,
        );
      await flow.cancelWorkflow(ctx, instance, command.reason ?? 'cancelled by request');
      break;
    case 'TerminateWorkflow':
      if (closed) reject('INSTANCE_CLOSED', `instance ${instance.id} is already ${status}`);
      await flow.terminateWorkflow(ctx, instance, command.reason ?? 'terminated by request');
      break;
    case 'PauseWorkflow':
      if (status !== 'RUNNING')
        reject(
          'INSTANCE_NOT_RUNNING',
          `instance ${instance.id} is ${status}; only a running instance can be paused`,
        );
      emit(ctx, instance, { type: 'WorkflowPaused' });
      await flow.holdQueuedTasks(ctx, instance);
      break;
    case 'ResumeWorkflow':
      if (status !== 'PAUSED')
        reject('INSTANCE_NOT_PAUSED', `instance ${instance.id} is ${status}, not paused`);
      emit(ctx, instance, { type: 'WorkflowResumed' });
      await flow.resumeFrames(ctx, instance);
      break;
    case 'RetryWorkflow':
      if (status !== 'FAILED')
        reject(
          'INSTANCE_NOT_FAILED',
          `instance ${instance.id} is ${status}; only a FAILED instance can be retried (restart runs any closed one again)`,
        );
      await flow.retryWorkflow(ctx, instance);
      break;
    case 'RestartWorkflow':
      if (!closed)
        reject(
          'INSTANCE_NOT_CLOSED',
          `instance ${instance.id} is still ${status}; terminate or cancel it before restarting`,
        );
      await flow.restartWorkflow(ctx, instance);
      break;
  }
  return { type: command.type, instanceId: instance.id, status: instance.status };
}
