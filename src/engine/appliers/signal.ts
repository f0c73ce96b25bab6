import type { CommandContext } from '../context.ts';
import type { EventOf } from '../events.ts';
import type { InstanceState } from '../state.ts';

/** Appliers of signal and child-workflow events. */

export function applySignalReceived(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'SignalReceived'>,
): void {
  if (event.signalId !== undefined) {
    const recent = instance.recentSignalIds ?? [];
    recent.push(event.signalId);
    instance.recentSignalIds = recent.slice(-(event.rememberIds ?? 1));
  }
  if (!event.buffered) return;
  const queue = instance.bufferedSignals[event.name] ?? [];
  queue.push(event.payload);
  instance.bufferedSignals[event.name] = queue;
}

export function applySignalConsumed(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'SignalConsumed'>,
): void {
  if (!event.fromBuffer) return;
  const queue = instance.bufferedSignals[event.name] ?? [];
  queue.shift();
  if (queue.length === 0) Reflect.deleteProperty(instance.bufferedSignals, event.name);
  else instance.bufferedSignals[event.name] = queue;
}

export function applyChildWorkflowStarted(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'ChildWorkflowStarted'>,
): void {
  const step = instance.steps[event.stepId];
  if (step === undefined) return;
  step.childInstanceId = event.childInstanceId;
  step.attempt = (step.attempt ?? 0) + 1;
  delete step.childRetryPending;
}

export function applyChildWorkflowClosed(): void {
  // History only: the parent step's outcome follows as StepCompleted or StepFailed.
}
