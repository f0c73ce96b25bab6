import type { KvReader } from '../../lib/state-machine.ts';
import { decodeStored } from '../codec.ts';
import type { HistoryEvent } from '../events.ts';
import { instanceOfChildId, keys, prefixRange, runOfChildId } from '../keys.ts';
import {
  isClosed,
  type InstanceState,
  type TaskRecord,
  type TaskTypeSettings,
  type TimerRecord,
} from '../state.ts';

/** Scans at most this many keys per prefix: the check is for test and simulator sized states. */
const MAX_KEYS_CHECKED = 1_000_000;

/**
 * Checks invariants that must hold in any engine state, for tests and the simulator (src/sim):
 * - no attempt of a task completed twice (no task effect applied twice);
 * - every ready-queue entry points at a READY task, and every READY task is in the queue unless
 *   its instance is paused (then none is);
 * - each task type's running count equals its RUNNING tasks;
 * - a closed instance has no running steps, no live tasks and no timers;
 * - the x/ indexes hold exactly the entries the instances call for (none dangling, none missing),
 *   and every business key names an instance started with it;
 * - every task and timer belongs to an existing instance and carries that instance's run, and
 *   every timer is in the due outbox and every due entry is a timer.
 * Returns the violations found, empty when the state is sound.
 */
export async function checkEngineInvariants(reader: KvReader): Promise<string[]> {
  const violations: string[] = [];
  const scan = async (prefix: string): Promise<Array<readonly [string, Uint8Array]>> =>
    reader.scan({ ...prefixRange(prefix), limit: MAX_KEYS_CHECKED });

  const completed = new Set<string>();
  for (const [key, value] of await scan('h/')) {
    const event = decodeStored<HistoryEvent>(value, key);
    if (event.type !== 'TaskCompleted') continue;
    const token = `${event.taskId}#${event.attempt}`;
    if (completed.has(token))
      violations.push(`task ${event.taskId} attempt ${event.attempt} completed twice`);
    completed.add(token);
  }

  const tasks = new Map<string, TaskRecord>();
  const running = new Map<string, number>();
  for (const [key, value] of await scan('t/')) {
    const task = decodeStored<TaskRecord>(value, key);
    tasks.set(task.id, task);
    if (task.status === 'RUNNING')
      running.set(task.taskType, (running.get(task.taskType) ?? 0) + 1);
    if (task.readyKey !== undefined && task.status !== 'READY') {
      violations.push(`task ${task.id} is ${task.status} but in the ready queue`);
    }
  }
  for (const [key, value] of await scan(keys.readyAll())) {
    const taskId = decodeStored<string>(value, key);
    const task = tasks.get(taskId);
    if (task?.status !== 'READY' || task.readyKey !== key)
      violations.push(
        `ready entry ${key} points at ${taskId}, which is ${task?.status ?? 'missing'}`,
      );
  }
  for (const [key, value] of await scan(keys.taskTypesAll())) {
    const settings = decodeStored<TaskTypeSettings>(value, key);
    const actual = running.get(settings.taskType) ?? 0;
    if (settings.running !== actual)
      violations.push(
        `task type ${settings.taskType} counts ${settings.running} running, but ${actual} are`,
      );
  }
  for (const [key, value] of await scan(keys.instancesAll())) {
    const instance = decodeStored<InstanceState>(value, key);
    if (!isClosed(instance.status)) continue;
    if (Object.keys(instance.steps).length > 0)
      violations.push(`closed instance ${instance.id} still has running steps`);
    if ((await reader.scan({ ...prefixRange(keys.timersOf(instance.id)), limit: 1 })).length > 0) {
      violations.push(`closed instance ${instance.id} still has timers`);
    }
  }
  violations.push(...(await checkIndexes(reader, scan)));
  violations.push(...(await checkOwnership(reader, scan, tasks)));
  for (const task of tasks.values()) {
    if (task.status !== 'READY' && task.status !== 'RUNNING' && task.status !== 'RETRY_WAIT')
      continue;
    const instance = await reader.get(keys.instance(task.instanceId));
    if (instance === undefined) {
      violations.push(`live task ${task.id} belongs to a missing instance`);
      continue;
    }
    const state = decodeStored<InstanceState>(instance, keys.instance(task.instanceId));
    if (isClosed(state.status))
      violations.push(`task ${task.id} is ${task.status} in closed instance ${state.id}`);
    // A READY task waits in the ready queue, except while its instance is paused (held).
    const paused = state.status === 'PAUSED';
    if (task.status === 'READY' && (task.readyKey === undefined) !== paused) {
      violations.push(
        `task ${task.id} is READY ${paused ? 'in the ready queue of paused' : 'out of the ready queue of'} instance ${state.id}`,
      );
    }
  }
  return violations;
}

type Scan = (prefix: string) => Promise<Array<readonly [string, Uint8Array]>>;

/** The index keys an instance must have (what context.ts writeIndexes maintains). */
function indexKeysOf(state: InstanceState): string[] {
  const expected = [
    keys.byDefinition(state.definitionName, state.createdMs, state.id),
    keys.byCreated(state.createdMs, state.id),
    keys.byStatus(state.status, state.createdMs, state.id),
  ];
  if (state.businessKey !== undefined)
    expected.push(keys.byBusinessKey(state.businessKey, state.createdMs, state.id));
  if (isClosed(state.status) && state.closedMs !== undefined)
    expected.push(keys.byClosed(state.closedMs, state.id));
  return expected;
}

async function checkIndexes(reader: KvReader, scan: Scan): Promise<string[]> {
  const violations: string[] = [];
  const expected = new Set<string>();
  for (const [key, value] of await scan(keys.instancesAll())) {
    for (const indexKey of indexKeysOf(decodeStored<InstanceState>(value, key)))
      expected.add(indexKey);
  }
  const actual = new Set<string>();
  for (const [key] of await scan('x/')) {
    actual.add(key);
    if (!expected.has(key)) violations.push(`index entry ${key} matches no instance's state`);
  }
  for (const key of expected) {
    if (!actual.has(key)) violations.push(`index entry ${key} is missing`);
  }
  for (const [key, value] of await scan('bk/')) {
    const instanceId = decodeStored<string>(value, key);
    const bytes = await reader.get(keys.instance(instanceId));
    const state =
      bytes === undefined
        ? undefined
        : decodeStored<InstanceState>(bytes, keys.instance(instanceId));
    if (
      state === undefined ||
      keys.businessKey(state.definitionName, state.businessKey ?? '') !== key
    ) {
      violations.push(
        `business key ${key} points at ${instanceId}, which ${state === undefined ? 'does not exist' : 'was not started with it'}`,
      );
    }
  }
  return violations;
}

async function checkOwnership(
  reader: KvReader,
  scan: Scan,
  tasks: Map<string, TaskRecord>,
): Promise<string[]> {
  const violations: string[] = [];
  const runs = new Map<string, number | undefined>();
  const runOf = async (instanceId: string): Promise<number | undefined> => {
    if (!runs.has(instanceId)) {
      const bytes = await reader.get(keys.instance(instanceId));
      runs.set(
        instanceId,
        bytes === undefined
          ? undefined
          : decodeStored<InstanceState>(bytes, keys.instance(instanceId)).run,
      );
    }
    return runs.get(instanceId);
  };
  const checkOwner = async (what: string, id: string, instanceId: string): Promise<void> => {
    const run = await runOf(instanceId);
    if (run === undefined)
      violations.push(`${what} ${id} belongs to a missing instance ${instanceId}`);
    else if (instanceOfChildId(id) !== instanceId || runOfChildId(id) !== run)
      violations.push(`${what} ${id} does not carry run ${run} of its instance ${instanceId}`);
  };
  for (const task of tasks.values()) await checkOwner('task', task.id, task.instanceId);
  const timers = new Set<string>();
  for (const [key, value] of await scan('tm/')) {
    const timer = decodeStored<TimerRecord>(value, key);
    await checkOwner('timer', timer.id, timer.instanceId);
    timers.add(keys.due(timer.dueMs, timer.id));
  }
  for (const [key] of await scan(keys.duePrefix())) {
    if (!timers.delete(key)) violations.push(`due entry ${key} is no timer`);
  }
  for (const key of timers) violations.push(`timer due entry ${key} is missing`);
  return violations;
}
