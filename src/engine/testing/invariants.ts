import type { KvReader } from '../../lib/state-machine.ts';
import { decodeStored } from '../codec.ts';
import type { HistoryEvent } from '../events.ts';
import { keys, prefixRange } from '../keys.ts';
import { isClosed, type InstanceState, type TaskRecord, type TaskTypeSettings } from '../state.ts';

/** Scans at most this many keys per prefix: the check is for test and simulator sized states. */
const MAX_KEYS_CHECKED = 1_000_000;

/**
 * Checks invariants that must hold in any engine state, for tests and the simulator (src/sim):
 * - no attempt of a task completed twice (no task effect applied twice);
 * - every ready-queue entry points at a READY task, and every READY task is in the queue;
 * - each task type's running count equals its RUNNING tasks;
 * - a closed instance has no running steps, no live tasks and no timers.
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
    if (completed.has(token)) violations.push(`task ${event.taskId} attempt ${event.attempt} completed twice`);
    completed.add(token);
  }

  const tasks = new Map<string, TaskRecord>();
  const running = new Map<string, number>();
  for (const [key, value] of await scan('t/')) {
    const task = decodeStored<TaskRecord>(value, key);
    tasks.set(task.id, task);
    if (task.status === 'RUNNING') running.set(task.taskType, (running.get(task.taskType) ?? 0) + 1);
    if ((task.readyKey !== undefined) !== (task.status === 'READY')) {
      violations.push(`task ${task.id} is ${task.status} but ${task.readyKey === undefined ? 'not ' : ''}in the ready queue`);
    }
  }
  for (const [key, value] of await scan(keys.readyAll())) {
    const taskId = decodeStored<string>(value, key);
    const task = tasks.get(taskId);
    if (task?.status !== 'READY' || task.readyKey !== key) violations.push(`ready entry ${key} points at ${taskId}, which is ${task?.status ?? 'missing'}`);
  }
  for (const [key, value] of await scan(keys.taskTypesAll())) {
    const settings = decodeStored<TaskTypeSettings>(value, key);
    const actual = running.get(settings.taskType) ?? 0;
    if (settings.running !== actual) violations.push(`task type ${settings.taskType} counts ${settings.running} running, but ${actual} are`);
  }
  for (const [key, value] of await scan(keys.instancesAll())) {
    const instance = decodeStored<InstanceState>(value, key);
    if (!isClosed(instance.status)) continue;
    if (Object.keys(instance.steps).length > 0) violations.push(`closed instance ${instance.id} still has running steps`);
    if ((await reader.scan({ ...prefixRange(keys.timersOf(instance.id)), limit: 1 })).length > 0) {
      violations.push(`closed instance ${instance.id} still has timers`);
    }
  }
  for (const task of tasks.values()) {
    if (task.status !== 'READY' && task.status !== 'RUNNING' && task.status !== 'RETRY_WAIT') continue;
    const instance = await reader.get(keys.instance(task.instanceId));
    if (instance === undefined) {
      violations.push(`live task ${task.id} belongs to a missing instance`);
      continue;
    }
    const state = decodeStored<InstanceState>(instance, keys.instance(task.instanceId));
    if (isClosed(state.status)) violations.push(`task ${task.id} is ${task.status} in closed instance ${state.id}`);
  }
  return violations;
}
