import { assert } from '../../lib/assert.ts';
import type { CommandContext } from '../context.ts';
import type { EventOf } from '../events.ts';
import { keys } from '../keys.ts';
import type { ErrorInfo, InstanceState, TaskRecord } from '../state.ts';

/** Appliers of worker/http task events: the task record, the ready queue, running counts. */

function leaveQueue(ctx: CommandContext, task: TaskRecord): void {
  if (task.readyKey !== undefined) {
    ctx.tx.del(task.readyKey);
    delete task.readyKey;
  }
}

/** Ends the current attempt: out of the ready queue, out of the running count. */
function endAttempt(
  ctx: CommandContext,
  task: TaskRecord,
  closedBy: NonNullable<TaskRecord['attemptClosedBy']>,
): void {
  leaveQueue(ctx, task);
  if (task.status === 'RUNNING') ctx.countRunning(task.taskType, -1);
  task.attemptClosedBy = closedBy;
}

export function applyTaskScheduled(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'TaskScheduled'>,
): void {
  let task: TaskRecord;
  if (event.attempt === 1) {
    task = {
      id: event.taskId,
      instanceId: instance.id,
      stepId: event.stepId,
      ref: event.ref,
      kind: event.kind,
      taskType: event.taskType,
      priority: event.priority,
      input: event.input,
      status: 'READY',
      attempt: 1,
      scheduledMs: ctx.nowMs,
      timers: {},
    };
    if (event.http !== undefined) task.http = event.http;
    ctx.putTask(task);
    const step = instance.steps[event.stepId];
    assert(step !== undefined, `task ${event.taskId} scheduled for a missing step`);
    step.taskId = event.taskId;
  } else {
    task = ctx.loadedTask(event.taskId);
    assert(task.status === 'RETRY_WAIT', `task ${task.id} rescheduled from ${task.status}`);
    task.status = 'READY';
    task.attempt = event.attempt;
    task.scheduledMs = ctx.nowMs;
    delete task.attemptClosedBy;
    delete task.workerId;
    delete task.startedMs;
    delete task.lastHeartbeatMs;
  }
  enterQueue(ctx, task);
}

/** Into the ready queue, behind the tasks of its priority already there; wakes waiting workers. */
function enterQueue(ctx: CommandContext, task: TaskRecord): void {
  task.readyKey = keys.ready(task.taskType, task.priority, ctx.logIndex, task.id);
  ctx.tx.putJson(task.readyKey, task.id);
  ctx.effects.push({
    kind: 'taskReady',
    taskId: task.id,
    taskType: task.taskType,
    priority: task.priority,
    readyKey: task.readyKey,
  });
}

export function applyTaskHeld(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskHeld'>,
): void {
  const task = ctx.loadedTask(event.taskId);
  assert(
    task.status === 'READY' && task.readyKey !== undefined,
    `task ${task.id} held while ${task.status}${task.readyKey === undefined ? ', out of the queue' : ''}`,
  );
  leaveQueue(ctx, task);
}

export function applyTaskReleased(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskReleased'>,
): void {
  const task = ctx.loadedTask(event.taskId);
  assert(
    task.status === 'READY' && task.readyKey === undefined,
    `task ${task.id} released while ${task.status}${task.readyKey === undefined ? '' : ', in the queue'}`,
  );
  enterQueue(ctx, task);
}

export function applyTaskStarted(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskStarted'>,
): void {
  const task = ctx.loadedTask(event.taskId);
  assert(
    task.status === 'READY' && task.attempt === event.attempt,
    `task ${task.id} started from ${task.status}`,
  );
  leaveQueue(ctx, task);
  task.status = 'RUNNING';
  task.workerId = event.workerId;
  task.startedMs = ctx.nowMs;
  task.lastHeartbeatMs = ctx.nowMs;
  ctx.countRunning(task.taskType, 1);
  ctx.effects.push({
    kind: 'taskLeased',
    taskId: task.id,
    taskType: task.taskType,
    attempt: task.attempt,
    workerId: event.workerId,
  });
}

export function applyTaskHeartbeat(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskHeartbeat'>,
): void {
  ctx.loadedTask(event.taskId).lastHeartbeatMs = ctx.nowMs;
}

export function applyTaskCompleted(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskCompleted'>,
): void {
  const task = ctx.loadedTask(event.taskId);
  endAttempt(ctx, task, 'complete');
  task.status = 'COMPLETED';
  ctx.effects.push({ kind: 'taskClosed', taskId: task.id, taskType: task.taskType });
}

function applyAttemptFailure(
  ctx: CommandContext,
  task: TaskRecord,
  error: ErrorInfo,
  retryAtMs: number | undefined,
  by: 'fail' | 'timeout',
): void {
  endAttempt(ctx, task, by);
  task.lastError = error;
  task.status = retryAtMs === undefined ? 'FAILED' : 'RETRY_WAIT';
  ctx.effects.push({ kind: 'taskClosed', taskId: task.id, taskType: task.taskType });
}

export function applyTaskFailed(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskFailed'>,
): void {
  applyAttemptFailure(ctx, ctx.loadedTask(event.taskId), event.error, event.retryAtMs, 'fail');
}

export function applyTaskTimedOut(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskTimedOut'>,
): void {
  const error = {
    code: `TIMEOUT_${event.timeout.toUpperCase()}`,
    message: `attempt ${event.attempt} exceeded its ${event.timeout} timeout`,
    ref: event.ref,
  };
  applyAttemptFailure(ctx, ctx.loadedTask(event.taskId), error, event.retryAtMs, 'timeout');
}

export function applyTaskCancelled(
  ctx: CommandContext,
  _instance: InstanceState,
  event: EventOf<'TaskCancelled'>,
): void {
  const task = ctx.loadedTask(event.taskId);
  endAttempt(ctx, task, 'cancel');
  task.status = 'CANCELLED';
  ctx.effects.push({ kind: 'taskClosed', taskId: task.id, taskType: task.taskType });
}
