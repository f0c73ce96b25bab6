import type { CommandContext } from '../context.ts';
import type { EventOf } from '../events.ts';
import { keys } from '../keys.ts';
import type { InstanceState, TimerRecord } from '../state.ts';

/** Appliers of timer events: the timer record, the due-time outbox, the owner's reference. */

function recordOf(event: TimerRecord): TimerRecord {
  const record: TimerRecord = {
    id: event.id,
    instanceId: event.instanceId,
    purpose: event.purpose,
    dueMs: event.dueMs,
  };
  if (event.stepId !== undefined) record.stepId = event.stepId;
  if (event.taskId !== undefined) record.taskId = event.taskId;
  if (event.attempt !== undefined) record.attempt = event.attempt;
  return record;
}

function detach(ctx: CommandContext, instance: InstanceState, timer: TimerRecord): void {
  ctx.tx.del(keys.timer(timer.id));
  ctx.tx.del(keys.due(timer.dueMs, timer.id));
  switch (timer.purpose) {
    case 'wait':
    case 'signalTimeout':
    case 'childRetry': {
      const step = timer.stepId === undefined ? undefined : instance.steps[timer.stepId];
      if (step?.timer?.id === timer.id) delete step.timer;
      break;
    }
    case 'workflowTimeout':
      if (instance.workflowTimer?.id === timer.id) delete instance.workflowTimer;
      break;
    case 'retry':
    case 'scheduleToStart':
    case 'startToClose':
    case 'heartbeat': {
      const task = timer.taskId === undefined ? undefined : ctx.loadedTask(timer.taskId);
      if (task?.timers[timer.purpose]?.id === timer.id)
        Reflect.deleteProperty(task.timers, timer.purpose);
      break;
    }
  }
}

export function applyTimerSet(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'TimerSet'>,
): void {
  const record = recordOf(event);
  ctx.tx.putJson(keys.timer(record.id), record);
  ctx.tx.putJson(keys.due(record.dueMs, record.id), record);
  ctx.effects.push({ kind: 'timerSet', timerId: record.id, dueMs: record.dueMs });
  const ref = { id: record.id, dueMs: record.dueMs };
  switch (record.purpose) {
    case 'wait':
    case 'signalTimeout':
    case 'childRetry': {
      const step = record.stepId === undefined ? undefined : instance.steps[record.stepId];
      if (step !== undefined) step.timer = ref;
      if (step !== undefined && record.purpose === 'childRetry') step.childRetryPending = true;
      break;
    }
    case 'workflowTimeout':
      instance.workflowTimer = ref;
      break;
    case 'retry':
    case 'scheduleToStart':
    case 'startToClose':
    case 'heartbeat':
      if (record.taskId !== undefined) ctx.loadedTask(record.taskId).timers[record.purpose] = ref;
      break;
  }
}

export function applyTimerFired(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'TimerFired'>,
): void {
  detach(ctx, instance, recordOf(event));
}

export function applyTimerCancelled(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'TimerCancelled'>,
): void {
  detach(ctx, instance, recordOf(event));
  ctx.effects.push({ kind: 'timerCancelled', timerId: event.id });
}
