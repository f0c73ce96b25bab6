import { assert } from '../../lib/assert.ts';
import type { CommandContext } from '../context.ts';
import type { EventOf } from '../events.ts';
import type { InstanceState } from '../state.ts';
import { COMPENSATION_SEQUENCE } from '../plan.ts';

/** Appliers of the workflow lifecycle events: status, output, error, compensation bookkeeping. */

export function applyWorkflowStarted(
  _ctx: CommandContext,
  instance: InstanceState,
  _event: EventOf<'WorkflowStarted'>,
): void {
  instance.status = 'RUNNING';
}

function close(
  ctx: CommandContext,
  instance: InstanceState,
  status: InstanceState['status'],
): void {
  instance.status = status;
  instance.closedMs = ctx.nowMs;
  ctx.effects.push({ kind: 'instanceClosed', instanceId: instance.id, status });
}

export function applyWorkflowCompleted(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'WorkflowCompleted'>,
): void {
  instance.output = event.output;
  close(ctx, instance, 'COMPLETED');
}

export function applyWorkflowFailed(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'WorkflowFailed'>,
): void {
  instance.error = event.error;
  instance.failedAtPc = instance.frames[instance.rootFrameId]?.pc ?? 0;
  close(ctx, instance, 'FAILED');
}

export function applyWorkflowCancelled(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'WorkflowCancelled'>,
): void {
  instance.error = { code: 'CANCELLED', message: event.reason };
  close(ctx, instance, 'CANCELLED');
}

export function applyWorkflowTerminated(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'WorkflowTerminated'>,
): void {
  instance.error = { code: 'TERMINATED', message: event.reason };
  delete instance.compensating;
  close(ctx, instance, 'TERMINATED');
}

export function applyWorkflowPaused(_ctx: CommandContext, instance: InstanceState): void {
  instance.status = 'PAUSED';
}

export function applyWorkflowResumed(_ctx: CommandContext, instance: InstanceState): void {
  instance.status = 'RUNNING';
}

export function applyWorkflowRetried(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'WorkflowRetried'>,
): void {
  const root = instance.frames[instance.rootFrameId];
  assert(root !== undefined, `instance ${instance.id} has no top-level frame to retry`);
  root.pc = event.fromPosition;
  root.activeStepId = null;
  instance.status = 'RUNNING';
  delete instance.error;
  delete instance.closedMs;
  delete instance.failedAtPc;
}

export function applyWorkflowRestarted(_ctx: CommandContext, instance: InstanceState): void {
  instance.status = 'RUNNING';
  instance.vars = {};
  instance.frames = {};
  instance.steps = {};
  instance.compensations = [];
  instance.bufferedSignals = {};
  instance.rootFrameId = '';
  delete instance.compensating;
  delete instance.output;
  delete instance.error;
  delete instance.closedMs;
  delete instance.failedAtPc;
}

export function applyCompensationStarted(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'CompensationStarted'>,
): void {
  instance.status = 'COMPENSATING';
  instance.error = event.reason;
  instance.compensating = { reason: event.reason, cause: event.cause, frameId: null };
}

export function applyCompensationScheduled(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'CompensationScheduled'>,
): void {
  const entry = instance.compensations.pop();
  assert(entry?.ref === event.ref, `compensation of ${event.ref} is not the last completed task`);
  assert(instance.compensating !== undefined, 'compensation scheduled while not compensating');
  instance.compensating.frameId = event.frameId;
  instance.frames[event.frameId] = {
    id: event.frameId,
    parentStepId: null,
    parentFrameId: instance.rootFrameId,
    owner: entry.ref,
    sequence: COMPENSATION_SEQUENCE,
    pc: 0,
    activeStepId: null,
    lastOutput: null,
    tasks: { [entry.ref]: { status: 'COMPLETED', output: entry.output } },
    slot: 0,
    ...(entry.item === undefined ? {} : { item: entry.item }),
    ...(entry.index === undefined ? {} : { index: entry.index }),
    compensationOf: entry.ref,
  };
}

export function applyWorkflowCompensated(ctx: CommandContext, instance: InstanceState): void {
  delete instance.compensating;
  close(ctx, instance, 'COMPENSATED');
}

export function applyWorkflowCompensationFailed(
  ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'WorkflowCompensationFailed'>,
): void {
  instance.error = event.error;
  delete instance.compensating;
  close(ctx, instance, 'COMPENSATION_FAILED');
}
