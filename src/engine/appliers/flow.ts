import { assert } from '../../lib/assert.ts';
import type { CommandContext } from '../context.ts';
import type { JsonValue } from '../definition/types.ts';
import type { EventOf } from '../events.ts';
import type { Frame, InstanceState, Step } from '../state.ts';

/** Appliers of step and frame events: where each sequence stands, what each step holds. */

function frameOf(instance: InstanceState, frameId: string): Frame {
  const frame = instance.frames[frameId];
  assert(frame !== undefined, `instance ${instance.id} has no frame ${frameId}`);
  return frame;
}

function stepOf(instance: InstanceState, stepId: string): Step {
  const step = instance.steps[stepId];
  assert(step !== undefined, `instance ${instance.id} has no step ${stepId}`);
  return step;
}

/** The innermost foreach item and index around a frame (for compensations of foreach bodies). */
function itemAround(instance: InstanceState, frame: Frame): { item?: JsonValue; index?: number } {
  let current: Frame | undefined = frame;
  while (current !== undefined) {
    if (current.index !== undefined) {
      return {
        ...(current.item === undefined ? {} : { item: current.item }),
        index: current.index,
      };
    }
    current = current.parentFrameId === null ? undefined : instance.frames[current.parentFrameId];
  }
  return {};
}

export function applyStepStarted(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'StepStarted'>,
): void {
  const frame = frameOf(instance, event.frameId);
  assert(frame.activeStepId === null, `frame ${frame.id} already runs step ${frame.activeStepId}`);
  const step: Step = {
    id: event.stepId,
    ref: event.ref,
    kind: event.kind,
    frameId: event.frameId,
    input: event.input,
  };
  if (event.signalName !== undefined) step.signalName = event.signalName;
  instance.steps[event.stepId] = step;
  frame.activeStepId = event.stepId;
  instance.stepCount++;
}

export function applyStepCompleted(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'StepCompleted'>,
): void {
  const step = stepOf(instance, event.stepId);
  const frame = frameOf(instance, step.frameId);
  frame.tasks[event.ref] = { status: 'COMPLETED', output: event.output };
  frame.lastOutput = event.output;
  frame.pc++;
  frame.activeStepId = null;
  Reflect.deleteProperty(instance.steps, event.stepId);
  if (event.compensable) {
    instance.compensations.push({
      ref: event.ref,
      output: event.output,
      input: step.input,
      ...itemAround(instance, frame),
    });
  }
}

export function applyStepFailed(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'StepFailed'>,
): void {
  const step = stepOf(instance, event.stepId);
  const frame = frameOf(instance, step.frameId);
  frame.tasks[event.ref] = {
    status: 'FAILED',
    error: { code: event.error.code, message: event.error.message },
  };
  frame.activeStepId = null;
  Reflect.deleteProperty(instance.steps, event.stepId);
}

export function applyStepCancelled(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'StepCancelled'>,
): void {
  const step = stepOf(instance, event.stepId);
  const frame = instance.frames[step.frameId];
  if (frame !== undefined && frame.activeStepId === step.id) {
    frame.activeStepId = null;
    frame.tasks[event.ref] = { status: 'CANCELLED' };
  }
  Reflect.deleteProperty(instance.steps, event.stepId);
}

export function applyVariablesSet(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'VariablesSet'>,
): void {
  for (const [name, value] of Object.entries(event.vars)) instance.vars[name] = value;
}

export function applyBranchChosen(): void {
  // History only: the chosen branch's frame follows as FrameStarted.
}

export function applyFanOutStarted(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'FanOutStarted'>,
): void {
  const step = stepOf(instance, event.stepId);
  if (event.items !== null) step.items = event.items;
  step.slots = new Array<'PENDING'>(event.slots).fill('PENDING');
  step.results = new Array<JsonValue>(event.slots).fill(null);
  step.nextSlot = 0;
}

export function applyFrameStarted(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'FrameStarted'>,
): void {
  const frame: Frame = {
    id: event.frameId,
    parentStepId: event.parentStepId,
    parentFrameId: event.parentFrameId,
    owner: event.owner,
    sequence: event.sequence,
    pc: 0,
    activeStepId: null,
    lastOutput: null,
    tasks: {},
    slot: event.slot,
  };
  if (event.item !== undefined) frame.item = event.item;
  if (event.index !== undefined) frame.index = event.index;
  if (event.iteration !== undefined) frame.iteration = event.iteration;
  instance.frames[event.frameId] = frame;
  if (event.parentStepId === null) {
    instance.rootFrameId = event.frameId;
    return;
  }
  const step = stepOf(instance, event.parentStepId);
  if (step.slots !== undefined) {
    step.slots[event.slot] = 'RUNNING';
    step.nextSlot = Math.max(step.nextSlot ?? 0, event.slot + 1);
  } else {
    step.childFrameId = event.frameId;
  }
}

export function applyFrameClosed(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'FrameClosed'>,
): void {
  const frame = frameOf(instance, event.frameId);
  Reflect.deleteProperty(instance.frames, event.frameId);
  if (instance.compensating?.frameId === frame.id) instance.compensating.frameId = null;
  if (frame.parentStepId === null) return;
  const step = instance.steps[frame.parentStepId];
  if (step === undefined) return;
  if (step.slots !== undefined && step.results !== undefined) {
    step.slots[frame.slot] = event.outcome;
    if (event.outcome === 'COMPLETED') step.results[frame.slot] = event.output;
  } else if (step.childFrameId === frame.id) {
    delete step.childFrameId;
  }
  // Tasks of a finished branch, case or loop become visible to what follows; foreach
  // iterations stay private (each has its own `tasks`).
  if (event.outcome === 'COMPLETED' && step.kind !== 'foreach' && frame.parentFrameId !== null) {
    const parent = instance.frames[frame.parentFrameId];
    if (parent !== undefined) Object.assign(parent.tasks, frame.tasks);
  }
}

export function applyLoopIterationStarted(
  _ctx: CommandContext,
  instance: InstanceState,
  event: EventOf<'LoopIterationStarted'>,
): void {
  const step = stepOf(instance, event.stepId);
  step.iteration = event.iteration;
  if (step.childFrameId === undefined) return;
  const body = frameOf(instance, step.childFrameId);
  body.pc = 0;
  body.activeStepId = null;
  body.iteration = event.iteration;
}
