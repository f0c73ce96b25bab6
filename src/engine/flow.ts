import { assert } from '../lib/assert.ts';
import { emit } from './appliers/index.ts';
import { backoffDelayMs } from './backoff.ts';
import type { CommandContext } from './context.ts';
import type {
  ExpressionScope,
  ForeachTask,
  HttpTask,
  JoinPolicy,
  JsonObject,
  JsonValue,
  LoopTask,
  ParallelTask,
  SignalTask,
  SubworkflowTask,
  SwitchTask,
  Task,
  TaskScopeEntry,
  WaitTask,
  WorkerTask,
} from './definition/types.ts';
import { DEFAULT_PRIORITY } from './definition/types.ts';
import { validateJsonSchema } from './definition/json-schema.ts';
import { formatIssue } from './definition/errors.ts';
import { canonicalJson } from './codec.ts';
import { CommandRejectedError } from './errors.ts';
import {
  compileExpression,
  evaluateExpression,
  evaluateTemplate,
  ExpressionError,
  isTruthy,
  type ExpressionLimits,
} from './expression.ts';
import { childId, childInstanceId as childInstanceIdOf } from './keys.ts';
import { ROOT_SEQUENCE, type Plan } from './plan.ts';
import {
  HTTP_TASK_TYPE,
  isClosed,
  type ErrorInfo,
  type Frame,
  type InstanceState,
  type Step,
  type TaskRecord,
  type TimerPurpose,
  type TimerRecord,
} from './state.ts';

/**
 * The interpreter: decides what happens next in an instance and emits the events that say so.
 * Deciders read state and evaluate expressions (async); only appliers (via `emit`) change state.
 * The one exception is id allocation (`allocate`), a counter in the instance, like Zeebe's key
 * generator.
 */

/** A step cannot go on: the error becomes the step's failure (and maybe the workflow's). */
class StepFailure extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

export function allocate(instance: InstanceState): number {
  instance.nextSeq++;
  return instance.nextSeq;
}

function expressionLimits(ctx: CommandContext): ExpressionLimits {
  return {
    maxSteps: ctx.limits.expressionTimeoutSteps,
    maxDepth: 400,
    maxOutputBytes: ctx.limits.expressionMaxOutputBytes,
    maxValueLength: ctx.limits.expressionMaxOutputBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Scopes and expressions

function frameChain(instance: InstanceState, frame: Frame): Frame[] {
  const chain: Frame[] = [];
  let current: Frame | undefined = frame;
  while (current !== undefined) {
    chain.unshift(current);
    assert(chain.length <= 1000, 'frame chain longer than any definition can nest');
    current = current.parentFrameId === null ? undefined : instance.frames[current.parentFrameId];
  }
  return chain;
}

function scopeOf(
  instance: InstanceState,
  frame: Frame | undefined,
  extra: { result?: JsonValue } = {},
): ExpressionScope {
  const tasks: Record<string, TaskScopeEntry> = {};
  let item: JsonValue | undefined;
  let index: number | undefined;
  let iteration: number | undefined;
  for (const link of frame === undefined ? [] : frameChain(instance, frame)) {
    Object.assign(tasks, link.tasks);
    if (link.index !== undefined) {
      item = link.item ?? null;
      index = link.index;
    }
    if (link.iteration !== undefined) iteration = link.iteration;
  }
  const workflow = {
    id: instance.id,
    name: instance.definitionName,
    version: instance.definitionVersion,
    ...(instance.businessKey === undefined ? {} : { businessKey: instance.businessKey }),
  };
  // A deep copy: jsonata may tag arrays it is given, and state must not change under it.
  return structuredClone({
    input: instance.input,
    vars: instance.vars,
    tasks,
    workflow,
    ...(index === undefined ? {} : { item: item ?? null, index }),
    ...(iteration === undefined ? {} : { iteration }),
    ...(extra.result === undefined ? {} : { result: extra.result }),
  });
}

function expressionFailure(error: unknown, ref: string | undefined, what: string): StepFailure {
  if (error instanceof ExpressionError) {
    return new StepFailure({
      code: 'EXPRESSION_FAILED',
      message: `${what}: ${error.message}`,
      ...(ref === undefined ? {} : { ref }),
    });
  }
  throw error;
}

async function evaluate(
  ctx: CommandContext,
  source: string,
  scope: ExpressionScope,
  ref: string | undefined,
  what: string,
): Promise<JsonValue> {
  try {
    const value = await evaluateExpression(
      compileExpression(source),
      scope,
      { nowMs: ctx.nowMs, seed: ctx.nextSeed() },
      expressionLimits(ctx),
    );
    return value ?? null;
  } catch (error) {
    throw expressionFailure(error, ref, what);
  }
}

async function evaluateTemplateIn(
  ctx: CommandContext,
  template: JsonValue,
  scope: ExpressionScope,
  ref: string,
  what: string,
): Promise<JsonValue> {
  try {
    return await evaluateTemplate(
      template,
      scope,
      { nowMs: ctx.nowMs, seed: ctx.nextSeed() },
      expressionLimits(ctx),
    );
  } catch (error) {
    throw expressionFailure(error, ref, what);
  }
}

// ---------------------------------------------------------------------------------------------
// Starting instances

export interface StartParams {
  instanceId: string;
  plan: Plan;
  input: JsonValue;
  businessKey?: string;
  parent?: { instanceId: string; stepId: string; depth: number };
}

/** Creates and runs a new instance as far as it goes without waiting. */
/** Why `input` does not fit the definition's inputSchema, or undefined when it does. */
export function inputProblem(plan: Plan, input: JsonValue): string | undefined {
  const schema = plan.definition.inputSchema;
  if (schema === undefined) return undefined;
  const issues = validateJsonSchema(schema, input, 'input', 10);
  if (issues.length === 0) return undefined;
  return `workflow input does not match the inputSchema of ${plan.definition.name} v${plan.version}: ${issues.map(formatIssue).join('; ')}`;
}

export async function startInstance(
  ctx: CommandContext,
  params: StartParams,
): Promise<InstanceState> {
  const definition = params.plan.definition;
  const problem = inputProblem(params.plan, params.input);
  if (problem !== undefined) throw new CommandRejectedError('BAD_COMMAND', problem);
  // Callers purge a reused id first, and child ids carry their parent's run: never a collision.
  assert(
    (await ctx.instance(params.instanceId)) === undefined,
    `instance ${params.instanceId} would be created over an existing one`,
  );
  const instance: InstanceState = {
    id: params.instanceId,
    definitionName: definition.name,
    definitionVersion: params.plan.version,
    status: 'RUNNING',
    input: params.input,
    vars: {},
    createdMs: ctx.nowMs,
    updatedMs: ctx.nowMs,
    run: ctx.logIndex,
    nextSeq: 0,
    stepCount: 0,
    historySeq: 0,
    firstHistorySeq: 0,
    rootFrameId: '',
    frames: {},
    steps: {},
    compensations: [],
    bufferedSignals: {},
  };
  if (params.businessKey !== undefined) instance.businessKey = params.businessKey;
  if (params.parent !== undefined) instance.parent = params.parent;
  ctx.createInstance(instance);
  emit(ctx, instance, {
    type: 'WorkflowStarted',
    definitionName: definition.name,
    version: params.plan.version,
    input: params.input,
    ...(params.businessKey === undefined ? {} : { businessKey: params.businessKey }),
    ...(params.parent === undefined ? {} : { parentInstanceId: params.parent.instanceId }),
  });
  await runFromTop(ctx, instance, params.plan);
  return instance;
}

/** Starts the top-level sequence (start, restart) with the whole-workflow timer. */
async function runFromTop(ctx: CommandContext, instance: InstanceState, plan: Plan): Promise<void> {
  const frameId = String(allocate(instance));
  emit(ctx, instance, {
    type: 'FrameStarted',
    frameId,
    parentStepId: null,
    parentFrameId: null,
    owner: null,
    sequence: ROOT_SEQUENCE,
    slot: 0,
  });
  armWorkflowTimer(ctx, instance, plan);
  await advanceFrame(ctx, instance, frameId);
}

function armWorkflowTimer(ctx: CommandContext, instance: InstanceState, plan: Plan): void {
  if (plan.definition.timeoutMs > 0 && instance.workflowTimer === undefined) {
    setTimer(ctx, instance, 'workflowTimeout', ctx.nowMs + plan.definition.timeoutMs, {});
  }
}

// ---------------------------------------------------------------------------------------------
// Timers

export function setTimer(
  ctx: CommandContext,
  instance: InstanceState,
  purpose: TimerPurpose,
  dueMs: number,
  owner: { stepId?: string; taskId?: string; attempt?: number },
): void {
  const id = childId(instance.id, instance.run, allocate(instance));
  emit(ctx, instance, { type: 'TimerSet', id, instanceId: instance.id, purpose, dueMs, ...owner });
}

async function cancelTimer(
  ctx: CommandContext,
  instance: InstanceState,
  timerId: string,
): Promise<void> {
  const record = await ctx.timer(timerId);
  if (record === undefined) return;
  emit(ctx, instance, { type: 'TimerCancelled', ...record });
}

async function cancelTaskTimers(
  ctx: CommandContext,
  instance: InstanceState,
  task: TaskRecord,
): Promise<void> {
  for (const purpose of ['scheduleToStart', 'startToClose', 'heartbeat', 'retry'] as const) {
    const ref = task.timers[purpose];
    if (ref !== undefined) await cancelTimer(ctx, instance, ref.id);
  }
}

// ---------------------------------------------------------------------------------------------
// Frames: running a sequence

function canSchedule(instance: InstanceState, frame: Frame): boolean {
  if (instance.status === 'RUNNING') return true;
  if (instance.status !== 'COMPENSATING') return false;
  return frameChain(instance, frame).some((link) => link.compensationOf !== undefined);
}

/** Starts tasks of a frame until one has to wait, the frame ends, or the instance cannot go on. */
export async function advanceFrame(
  ctx: CommandContext,
  instance: InstanceState,
  frameId: string,
): Promise<void> {
  const plan = await ctx.plan(instance);
  for (let guard = 0; guard <= ctx.limits.maxStepsPerInstance + 1; guard++) {
    const frame = instance.frames[frameId];
    if (frame?.activeStepId !== null || !canSchedule(instance, frame)) return;
    const sequence = plan.sequence(frame.owner, frame.sequence);
    const task = sequence[frame.pc];
    if (task === undefined) {
      await finishFrame(ctx, instance, frame, plan);
      return;
    }
    await startStep(ctx, instance, frame, task, plan);
  }
  assert(false, `frame ${frameId} of ${instance.id} did not settle within the step limit`);
}

async function finishFrame(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  plan: Plan,
): Promise<void> {
  if (frame.id === instance.rootFrameId) {
    await completeWorkflow(ctx, instance, frame, plan);
    return;
  }
  if (frame.compensationOf !== undefined) {
    emit(ctx, instance, {
      type: 'FrameClosed',
      frameId: frame.id,
      outcome: 'COMPLETED',
      output: frame.lastOutput,
    });
    await runNextCompensation(ctx, instance, plan);
    return;
  }
  assert(frame.parentStepId !== null, `frame ${frame.id} has no parent step`);
  const step = instance.steps[frame.parentStepId];
  assert(step !== undefined, `frame ${frame.id} outlived its step`);
  if (step.kind === 'loop') {
    await loopBodyDone(ctx, instance, step, frame, plan.task(step.ref) as LoopTask);
    return;
  }
  emit(ctx, instance, {
    type: 'FrameClosed',
    frameId: frame.id,
    outcome: 'COMPLETED',
    output: frame.lastOutput,
  });
  if (step.kind === 'switch') {
    await completeStep(ctx, instance, step.id, frame.lastOutput);
    return;
  }
  await fanOutSettled(ctx, instance, step, plan, undefined);
}

async function completeWorkflow(
  ctx: CommandContext,
  instance: InstanceState,
  root: Frame,
  plan: Plan,
): Promise<void> {
  let output = root.lastOutput;
  if (plan.definition.output !== undefined) {
    try {
      output = await evaluate(
        ctx,
        plan.definition.output,
        scopeOf(instance, root),
        undefined,
        'workflow output',
      );
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      await failWorkflow(ctx, instance, error.info);
      return;
    }
  }
  await closeTimers(ctx, instance);
  emit(ctx, instance, { type: 'WorkflowCompleted', output });
  notifyParent(ctx, instance);
}

function notifyParent(ctx: CommandContext, instance: InstanceState): void {
  if (instance.parent === undefined) return;
  ctx.notices.push({
    kind: 'childClosed',
    parentInstanceId: instance.parent.instanceId,
    stepId: instance.parent.stepId,
    childInstanceId: instance.id,
  });
}

async function closeTimers(ctx: CommandContext, instance: InstanceState): Promise<void> {
  if (instance.workflowTimer !== undefined)
    await cancelTimer(ctx, instance, instance.workflowTimer.id);
}

async function failFrame(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  error: ErrorInfo,
): Promise<void> {
  if (frame.id === instance.rootFrameId) {
    await failWorkflow(ctx, instance, error);
    return;
  }
  emit(ctx, instance, { type: 'FrameClosed', frameId: frame.id, outcome: 'FAILED', output: null });
  if (frame.compensationOf !== undefined) {
    await cancelEverything(ctx, instance);
    await closeTimers(ctx, instance);
    emit(ctx, instance, {
      type: 'WorkflowCompensationFailed',
      error: {
        code: 'COMPENSATION_FAILED',
        message: `compensation of ${frame.compensationOf} failed: ${error.message}`,
        ...(error.ref === undefined ? {} : { ref: error.ref }),
      },
    });
    notifyParent(ctx, instance);
    return;
  }
  assert(frame.parentStepId !== null, `frame ${frame.id} has no parent step`);
  const step = instance.steps[frame.parentStepId];
  if (step === undefined) return;
  if (step.kind === 'switch' || step.kind === 'loop') {
    await failStep(ctx, instance, step.id, error);
    return;
  }
  await fanOutSettled(ctx, instance, step, await ctx.plan(instance), error);
}

// ---------------------------------------------------------------------------------------------
// Steps

/** Completes a step and lets its frame go on (used when a step finishes later than it started). */
export async function completeStep(
  ctx: CommandContext,
  instance: InstanceState,
  stepId: string,
  output: JsonValue,
): Promise<void> {
  const step = instance.steps[stepId];
  if (step === undefined) return;
  const frameId = step.frameId;
  const recorded = await recordCompletion(ctx, instance, step, output);
  if (recorded) await advanceFrame(ctx, instance, frameId);
}

/** Emits a step's completion (with its `assign` mapping); false when the mapping failed it. */
async function recordCompletion(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  output: JsonValue,
): Promise<boolean> {
  const plan = await ctx.plan(instance);
  const task = plan.task(step.ref);
  const frame = instance.frames[step.frameId];
  assert(frame !== undefined, `step ${step.id} has no frame`);
  if (task.assign !== undefined) {
    const vars: JsonObject = {};
    try {
      for (const [name, source] of Object.entries(task.assign)) {
        vars[name] = await evaluate(
          ctx,
          source,
          scopeOf(instance, frame, { result: output }),
          step.ref,
          `assign.${name} of ${step.ref}`,
        );
      }
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      await failStep(ctx, instance, step.id, error.info);
      return false;
    }
    emit(ctx, instance, { type: 'VariablesSet', ref: step.ref, vars });
  }
  const compensable = task.compensation !== undefined && !plan.isCompensation(step.ref);
  emit(ctx, instance, {
    type: 'StepCompleted',
    stepId: step.id,
    ref: step.ref,
    output,
    compensable,
  });
  return true;
}

/** Fails a step for good (retries, if any, are decided before) and propagates to its frame. */
export async function failStep(
  ctx: CommandContext,
  instance: InstanceState,
  stepId: string,
  error: ErrorInfo,
): Promise<void> {
  const step = instance.steps[stepId];
  if (step === undefined) return;
  const frame = instance.frames[step.frameId];
  const info: ErrorInfo = { ...error, ref: error.ref ?? step.ref };
  emit(ctx, instance, { type: 'StepFailed', stepId, ref: step.ref, error: info });
  if (frame !== undefined) await failFrame(ctx, instance, frame, info);
}

async function startStep(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  task: Task,
  plan: Plan,
): Promise<void> {
  const stepId = String(allocate(instance));
  let input: JsonValue = null;
  let failure: ErrorInfo | undefined;
  try {
    if (task.input !== undefined)
      input = await evaluateTemplateIn(
        ctx,
        task.input,
        scopeOf(instance, frame),
        task.ref,
        `input of ${task.ref}`,
      );
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    failure = error.info;
  }
  emit(ctx, instance, {
    type: 'StepStarted',
    stepId,
    ref: task.ref,
    kind: task.type,
    frameId: frame.id,
    input,
    ...(task.type === 'signal' ? { signalName: task.name } : {}),
  });
  if (failure === undefined && instance.stepCount > ctx.limits.maxStepsPerInstance) {
    failure = {
      code: 'STEP_LIMIT',
      message: `the instance started more than ${ctx.limits.maxStepsPerInstance} steps`,
      ref: task.ref,
    };
  }
  if (failure !== undefined) {
    await failStep(ctx, instance, stepId, failure);
    return;
  }
  const step = instance.steps[stepId]!;
  try {
    await runStep(ctx, instance, frame, step, task, plan);
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    if (instance.steps[stepId] !== undefined) await failStep(ctx, instance, stepId, error.info);
  }
}

async function runStep(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  step: Step,
  task: Task,
  plan: Plan,
): Promise<void> {
  switch (task.type) {
    case 'worker':
      scheduleWorkerTask(ctx, instance, step, task);
      return;
    case 'http':
      await scheduleHttpTask(ctx, instance, frame, step, task);
      return;
    case 'set': {
      const vars: JsonObject = {};
      // Every expression of one set task sees the variables as they were before it (the
      // validator rejects reading a variable the same task sets), so order does not matter.
      const scope = scopeOf(instance, frame);
      for (const [name, source] of Object.entries(task.variables)) {
        vars[name] = await evaluate(
          ctx,
          source,
          scope,
          task.ref,
          `variables.${name} of ${task.ref}`,
        );
      }
      emit(ctx, instance, { type: 'VariablesSet', ref: task.ref, vars });
      await recordCompletion(ctx, instance, step, vars);
      return;
    }
    case 'transform': {
      const output = await evaluate(
        ctx,
        task.expression,
        scopeOf(instance, frame),
        task.ref,
        `expression of ${task.ref}`,
      );
      await recordCompletion(ctx, instance, step, output);
      return;
    }
    case 'terminate':
      await terminateTask(ctx, instance, frame, step, task, plan);
      return;
    case 'switch':
      await runSwitch(ctx, instance, frame, step, task, plan);
      return;
    case 'loop': {
      emit(ctx, instance, {
        type: 'LoopIterationStarted',
        stepId: step.id,
        ref: task.ref,
        iteration: 0,
      });
      const childFrameId = startChildFrame(ctx, instance, step, frame, 'body', 0, { iteration: 0 });
      await advanceFrame(ctx, instance, childFrameId);
      return;
    }
    case 'parallel':
      await startParallel(ctx, instance, frame, step, task);
      return;
    case 'foreach':
      await startForeach(ctx, instance, frame, step, task);
      return;
    case 'subworkflow':
      await startChildWorkflow(ctx, instance, step, task);
      return;
    case 'wait':
      await runWait(ctx, instance, frame, step, task);
      return;
    case 'signal':
      await runSignal(ctx, instance, step, task);
      return;
  }
}

async function runSwitch(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  step: Step,
  task: SwitchTask,
  plan: Plan,
): Promise<void> {
  let chosen: string | undefined;
  for (const [i, switchCase] of task.cases.entries()) {
    const value = await evaluate(
      ctx,
      switchCase.when,
      scopeOf(instance, frame),
      task.ref,
      `cases[${i}].when of ${task.ref}`,
    );
    if (isTruthy(value)) {
      chosen = `case:${i}`;
      break;
    }
  }
  const branch = chosen ?? 'default';
  emit(ctx, instance, { type: 'BranchChosen', ref: task.ref, branch });
  if (plan.sequence(task.ref, branch).length === 0) {
    await recordCompletion(ctx, instance, step, null);
    return;
  }
  const childFrameId = startChildFrame(ctx, instance, step, frame, branch, 0, {});
  await advanceFrame(ctx, instance, childFrameId);
}

async function runWait(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  step: Step,
  task: WaitTask,
): Promise<void> {
  let dueMs: number;
  if (task.until !== undefined) {
    const value = await evaluate(
      ctx,
      task.until,
      scopeOf(instance, frame),
      task.ref,
      `until of ${task.ref}`,
    );
    dueMs =
      typeof value === 'number'
        ? Math.floor(value)
        : typeof value === 'string'
          ? parseIsoTimeMs(value)
          : Number.NaN;
    if (!Number.isSafeInteger(dueMs) || dueMs < 0) {
      throw new StepFailure({
        code: 'BAD_WAIT_TIME',
        message: `until of ${task.ref} gave ${JSON.stringify(value)}, not epoch milliseconds or an ISO 8601 time`,
        ref: task.ref,
      });
    }
  } else {
    dueMs = ctx.nowMs + task.durationMs;
  }
  setTimer(ctx, instance, 'wait', Math.max(dueMs, ctx.nowMs), { stepId: step.id });
}

/** A signal that arrived earlier completes the step at once; else the step waits (maybe timed). */
async function runSignal(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  task: SignalTask,
): Promise<void> {
  const buffered = instance.bufferedSignals[task.name];
  if (buffered !== undefined && buffered.length > 0) {
    const payload = buffered[0] ?? null;
    emit(ctx, instance, {
      type: 'SignalConsumed',
      ref: task.ref,
      name: task.name,
      fromBuffer: true,
    });
    await recordCompletion(ctx, instance, step, payload);
    return;
  }
  if (task.timeoutMs !== undefined)
    setTimer(ctx, instance, 'signalTimeout', ctx.nowMs + task.timeoutMs, { stepId: step.id });
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Epoch ms of an ISO 8601 time, NaN for anything else. Date.parse reads a zone-less date-time in
 * the node's local zone and other formats as it likes; nodes in different zones would disagree,
 * so only ISO is accepted and a missing zone means UTC.
 */
export function parseIsoTimeMs(text: string): number {
  const match = ISO_TIME.exec(text);
  if (match === null) return Number.NaN;
  const zoned = match[1] !== undefined && match[4] === undefined ? `${text}Z` : text;
  return Date.parse(zoned);
}

async function terminateTask(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  step: Step,
  task: Extract<Task, { type: 'terminate' }>,
  plan: Plan,
): Promise<void> {
  const source = task.output ?? plan.definition.output;
  const output =
    source === undefined
      ? null
      : await evaluate(ctx, source, scopeOf(instance, frame), task.ref, `output of ${task.ref}`);
  await recordCompletion(ctx, instance, step, output);
  if (task.status === 'COMPLETED') {
    await cancelEverything(ctx, instance);
    await closeTimers(ctx, instance);
    emit(ctx, instance, { type: 'WorkflowCompleted', output });
    notifyParent(ctx, instance);
    return;
  }
  await failWorkflow(ctx, instance, {
    code: 'TERMINATED',
    message: task.reason ?? `terminated by task ${task.ref}`,
    ref: task.ref,
    details: output,
  });
}

function startChildFrame(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  frame: Frame,
  sequence: string,
  slot: number,
  extra: { item?: JsonValue; index?: number; iteration?: number },
): string {
  const frameId = String(allocate(instance));
  emit(ctx, instance, {
    type: 'FrameStarted',
    frameId,
    parentStepId: step.id,
    parentFrameId: frame.id,
    owner: step.ref,
    sequence,
    slot,
    ...extra,
  });
  return frameId;
}

// ---------------------------------------------------------------------------------------------
// Worker and http tasks

function scheduleWorkerTask(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  task: WorkerTask,
): void {
  const taskId = childId(instance.id, instance.run, allocate(instance));
  emit(ctx, instance, {
    type: 'TaskScheduled',
    ref: task.ref,
    stepId: step.id,
    taskId,
    kind: 'worker',
    taskType: task.taskType,
    attempt: 1,
    priority: task.priority,
    input: step.input,
  });
  armScheduleToStart(ctx, instance, taskId, 1, task);
}

async function scheduleHttpTask(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  step: Step,
  task: HttpTask,
): Promise<void> {
  const scope = scopeOf(instance, frame);
  const url = await evaluateTemplateIn(ctx, task.url, scope, task.ref, `url of ${task.ref}`);
  const headers: JsonObject = {};
  for (const [name, template] of Object.entries(task.headers)) {
    headers[name] = await evaluateTemplateIn(
      ctx,
      template,
      scope,
      task.ref,
      `headers.${name} of ${task.ref}`,
    );
  }
  const body =
    task.body === undefined
      ? undefined
      : await evaluateTemplateIn(ctx, task.body, scope, task.ref, `body of ${task.ref}`);
  const taskId = childId(instance.id, instance.run, allocate(instance));
  emit(ctx, instance, {
    type: 'TaskScheduled',
    ref: task.ref,
    stepId: step.id,
    taskId,
    kind: 'http',
    taskType: HTTP_TASK_TYPE,
    attempt: 1,
    priority: DEFAULT_PRIORITY,
    input: step.input,
    http: {
      method: task.method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      expectedStatus: [...task.expectedStatus],
      timeoutMs: task.timeoutMs,
    },
  });
  armScheduleToStart(ctx, instance, taskId, 1, task);
}

function armScheduleToStart(
  ctx: CommandContext,
  instance: InstanceState,
  taskId: string,
  attempt: number,
  task: Task,
): void {
  if (task.timeouts.scheduleToStartMs > 0) {
    setTimer(ctx, instance, 'scheduleToStart', ctx.nowMs + task.timeouts.scheduleToStartMs, {
      taskId,
      attempt,
    });
  }
}

/** Puts a task whose retry backoff ended back in the ready queue. */
export async function rescheduleTask(
  ctx: CommandContext,
  instance: InstanceState,
  task: TaskRecord,
): Promise<void> {
  const plan = await ctx.plan(instance);
  const definition = plan.task(task.ref);
  const attempt = task.attempt + 1;
  emit(ctx, instance, {
    type: 'TaskScheduled',
    ref: task.ref,
    stepId: task.stepId,
    taskId: task.id,
    kind: task.kind,
    taskType: task.taskType,
    attempt,
    priority: task.priority,
    input: task.input,
  });
  armScheduleToStart(ctx, instance, task.id, attempt, definition);
}

/** A worker's lease begins: the task runs, its start-to-close and heartbeat clocks start. */
export async function startTaskAttempt(
  ctx: CommandContext,
  instance: InstanceState,
  task: TaskRecord,
  workerId: string,
): Promise<number> {
  const definition = (await ctx.plan(instance)).task(task.ref);
  if (task.timers.scheduleToStart !== undefined)
    await cancelTimer(ctx, instance, task.timers.scheduleToStart.id);
  emit(ctx, instance, {
    type: 'TaskStarted',
    ref: task.ref,
    taskId: task.id,
    attempt: task.attempt,
    workerId,
  });
  // An http task's request timeout is also its attempt's start-to-close.
  const startToCloseMs =
    definition.type === 'http' ? definition.timeoutMs : definition.timeouts.startToCloseMs;
  const leaseMs = Math.min(startToCloseMs, ctx.limits.maxLeaseMs);
  const leaseExpiresMs = ctx.nowMs + leaseMs;
  setTimer(ctx, instance, 'startToClose', leaseExpiresMs, {
    taskId: task.id,
    attempt: task.attempt,
  });
  if (definition.timeouts.heartbeatMs > 0) {
    setTimer(ctx, instance, 'heartbeat', ctx.nowMs + definition.timeouts.heartbeatMs, {
      taskId: task.id,
      attempt: task.attempt,
    });
  }
  return leaseExpiresMs;
}

/**
 * An output is kept a few times in state (the frame's `tasks`, its last output, a fan-out's
 * results, a compensation entry): if that would overflow the instance's state limit, the task
 * fails instead (non-retryable) rather than every later command on the instance being rejected.
 */
const OUTPUT_COPIES_IN_STATE = 3;

function outputOverflow(
  ctx: CommandContext,
  instance: InstanceState,
  output: JsonValue,
): ErrorInfo | undefined {
  const outputBytes = canonicalJson(output).length;
  const stateBytes = canonicalJson(instance).length;
  if (stateBytes + OUTPUT_COPIES_IN_STATE * outputBytes <= ctx.limits.maxInstanceStateBytes)
    return undefined;
  return {
    code: 'OUTPUT_TOO_LARGE',
    message: `an output of ${outputBytes} bytes would grow the instance's state past its limit of ${ctx.limits.maxInstanceStateBytes} bytes`,
  };
}

export async function completeTaskAttempt(
  ctx: CommandContext,
  instance: InstanceState,
  task: TaskRecord,
  output: JsonValue,
): Promise<void> {
  const overflow = outputOverflow(ctx, instance, output);
  if (overflow !== undefined) {
    await failTaskAttempt(ctx, instance, task, { ...overflow, retryable: false }, 'fail');
    return;
  }
  if (task.http !== undefined) {
    const status =
      typeof output === 'object' && output !== null && !Array.isArray(output)
        ? output.status
        : undefined;
    if (typeof status !== 'number' || !task.http.expectedStatus.includes(status)) {
      const shown = typeof status === 'number' ? String(status) : 'NONE';
      await failTaskAttempt(
        ctx,
        instance,
        task,
        {
          code: `HTTP_${shown}`,
          message: `http ${task.http.method} answered status ${shown}, expected one of ${task.http.expectedStatus.join(', ')}`,
          details: output,
        },
        'fail',
      );
      return;
    }
  }
  await cancelTaskTimers(ctx, instance, task);
  emit(ctx, instance, {
    type: 'TaskCompleted',
    ref: task.ref,
    taskId: task.id,
    attempt: task.attempt,
    output,
  });
  await completeStep(ctx, instance, task.stepId, output);
}

/**
 * An attempt failed (reported or timed out): retry after a backoff when the policy allows and
 * the error is retryable, else the step fails.
 */
export async function failTaskAttempt(
  ctx: CommandContext,
  instance: InstanceState,
  task: TaskRecord,
  error: ErrorInfo & { retryable?: boolean },
  how: 'fail' | TimerPurpose,
): Promise<void> {
  const policy = (await ctx.plan(instance)).task(task.ref).retry;
  const retry =
    error.retryable !== false &&
    !policy.nonRetryableErrors.includes(error.code) &&
    task.attempt < policy.maxAttempts &&
    !isClosed(instance.status);
  await cancelTaskTimers(ctx, instance, task);
  const retryAtMs = retry
    ? ctx.nowMs + backoffDelayMs(policy, task.attempt, ctx.nextSeed())
    : undefined;
  const info: ErrorInfo = {
    code: error.code,
    message: error.message,
    ref: task.ref,
    ...(error.details === undefined ? {} : { details: error.details }),
  };
  const base = {
    ref: task.ref,
    taskId: task.id,
    attempt: task.attempt,
    ...(retryAtMs === undefined ? {} : { retryAtMs }),
  };
  if (how === 'fail') emit(ctx, instance, { type: 'TaskFailed', ...base, error: info });
  else emit(ctx, instance, { type: 'TaskTimedOut', ...base, timeout: how });
  if (retryAtMs !== undefined) {
    setTimer(ctx, instance, 'retry', retryAtMs, { taskId: task.id, attempt: task.attempt });
    return;
  }
  const final =
    how === 'fail'
      ? info
      : {
          code: `TIMEOUT_${how.toUpperCase()}`,
          message: `${task.ref} attempt ${task.attempt} exceeded its ${how} timeout`,
          ref: task.ref,
        };
  await failStep(ctx, instance, task.stepId, final);
}

// ---------------------------------------------------------------------------------------------
// Fan-out: parallel and foreach

async function startParallel(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  step: Step,
  task: ParallelTask,
): Promise<void> {
  emit(ctx, instance, {
    type: 'FanOutStarted',
    stepId: step.id,
    ref: task.ref,
    items: null,
    slots: task.branches.length,
  });
  const frameIds = task.branches.map((_branch, i) =>
    startChildFrame(ctx, instance, step, frame, `branch:${i}`, i, {}),
  );
  for (const frameId of frameIds) {
    if (instance.steps[step.id] === undefined) return;
    await advanceFrame(ctx, instance, frameId);
  }
}

async function startForeach(
  ctx: CommandContext,
  instance: InstanceState,
  frame: Frame,
  step: Step,
  task: ForeachTask,
): Promise<void> {
  const items = await evaluate(
    ctx,
    task.items,
    scopeOf(instance, frame),
    task.ref,
    `items of ${task.ref}`,
  );
  if (!Array.isArray(items)) {
    throw new StepFailure({
      code: 'FOREACH_NOT_ARRAY',
      message: `items of ${task.ref} gave ${typeof items}, not an array`,
      ref: task.ref,
    });
  }
  if (items.length > ctx.limits.maxForeachItems) {
    throw new StepFailure({
      code: 'FOREACH_TOO_MANY',
      message: `items of ${task.ref} gave ${items.length} items, more than the limit of ${ctx.limits.maxForeachItems}`,
      ref: task.ref,
    });
  }
  if (task.join.mode === 'quorum' && task.join.count > items.length) {
    throw new StepFailure({
      code: 'QUORUM_UNREACHABLE',
      message: `${task.ref} needs ${task.join.count} iterations but has ${items.length} items`,
      ref: task.ref,
    });
  }
  if (items.length === 0) {
    await recordCompletion(ctx, instance, step, []);
    return;
  }
  emit(ctx, instance, {
    type: 'FanOutStarted',
    stepId: step.id,
    ref: task.ref,
    items,
    slots: items.length,
  });
  await topUpForeach(ctx, instance, step, task);
}

async function topUpForeach(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  task: ForeachTask,
): Promise<void> {
  const frame = instance.frames[step.frameId];
  assert(
    frame !== undefined && step.slots !== undefined && step.items !== undefined,
    `foreach ${step.ref} lost its state`,
  );
  const started: string[] = [];
  let running = step.slots.filter((slot) => slot === 'RUNNING').length;
  while (running < task.concurrency && (step.nextSlot ?? 0) < step.items.length) {
    const slot = step.nextSlot ?? 0;
    started.push(
      startChildFrame(ctx, instance, step, frame, 'body', slot, {
        item: step.items[slot] ?? null,
        index: slot,
      }),
    );
    running++;
  }
  for (const frameId of started) {
    if (instance.steps[step.id] === undefined) return;
    await advanceFrame(ctx, instance, frameId);
  }
}

function required(join: JoinPolicy, total: number): number {
  return join.mode === 'all' ? total : join.count;
}

/** A branch or iteration ended (completed, or failed with `error`): join, fail or top up. */
async function fanOutSettled(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  plan: Plan,
  error: ErrorInfo | undefined,
): Promise<void> {
  const task = plan.task(step.ref) as ParallelTask | ForeachTask;
  assert(
    step.slots !== undefined && step.results !== undefined,
    `fan-out ${step.ref} lost its slots`,
  );
  const total = step.slots.length;
  const completed = step.slots.filter((slot) => slot === 'COMPLETED').length;
  const failed = step.slots.filter((slot) => slot === 'FAILED').length;
  const needed = required(task.join, total);
  if (completed >= needed) {
    await cancelChildFrames(ctx, instance, step);
    await completeStep(ctx, instance, step.id, [...step.results]);
    return;
  }
  if (total - failed < needed) {
    await cancelChildFrames(ctx, instance, step);
    const cause = error ?? {
      code: 'BRANCH_FAILED',
      message: `${step.ref} can no longer reach ${needed} completions`,
    };
    await failStep(ctx, instance, step.id, cause);
    return;
  }
  if (task.type === 'foreach') await topUpForeach(ctx, instance, step, task);
}

async function cancelChildFrames(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
): Promise<void> {
  const children = Object.values(instance.frames)
    .filter((frame) => frame.parentStepId === step.id)
    .sort((a, b) => Number(a.id) - Number(b.id));
  for (const frame of children) await cancelFrame(ctx, instance, frame.id);
}

// ---------------------------------------------------------------------------------------------
// Loops

async function loopBodyDone(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  body: Frame,
  task: LoopTask,
): Promise<void> {
  const iteration = step.iteration ?? 0;
  let again: boolean;
  try {
    again = isTruthy(
      await evaluate(ctx, task.while, scopeOf(instance, body), task.ref, `while of ${task.ref}`),
    );
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    emit(ctx, instance, { type: 'FrameClosed', frameId: body.id, outcome: 'FAILED', output: null });
    await failStep(ctx, instance, step.id, error.info);
    return;
  }
  if (!again) {
    emit(ctx, instance, {
      type: 'FrameClosed',
      frameId: body.id,
      outcome: 'COMPLETED',
      output: body.lastOutput,
    });
    await completeStep(ctx, instance, step.id, body.lastOutput);
    return;
  }
  if (iteration + 1 >= task.maxIterations) {
    emit(ctx, instance, { type: 'FrameClosed', frameId: body.id, outcome: 'FAILED', output: null });
    await failStep(ctx, instance, step.id, {
      code: 'LOOP_LIMIT',
      message: `${task.ref} reached its limit of ${task.maxIterations} iterations`,
      ref: task.ref,
    });
    return;
  }
  emit(ctx, instance, {
    type: 'LoopIterationStarted',
    stepId: step.id,
    ref: task.ref,
    iteration: iteration + 1,
  });
  await advanceFrame(ctx, instance, body.id);
}

// ---------------------------------------------------------------------------------------------
// Subworkflows

async function startChildWorkflow(
  ctx: CommandContext,
  instance: InstanceState,
  step: Step,
  task: SubworkflowTask,
): Promise<void> {
  const depth = (instance.parent?.depth ?? 0) + 1;
  if (depth > ctx.limits.maxSubworkflowDepth) {
    throw new StepFailure({
      code: 'SUBWORKFLOW_DEPTH',
      message: `${task.ref} would nest subworkflows deeper than ${ctx.limits.maxSubworkflowDepth}`,
      ref: task.ref,
    });
  }
  const version =
    task.version === 'latest' ? await ctx.plans.latestVersion(ctx.tx, task.workflow) : task.version;
  const plan =
    version === undefined
      ? undefined
      : await ctx.plans.plan(ctx.tx, task.workflow, version).catch(() => undefined);
  if (plan === undefined || version === undefined) {
    throw new StepFailure({
      code: 'DEFINITION_NOT_FOUND',
      message: `${task.ref} starts ${task.workflow} v${String(task.version)}, which is not registered`,
      ref: task.ref,
    });
  }
  const problem = inputProblem(plan, step.input);
  if (problem !== undefined)
    throw new StepFailure({ code: 'CHILD_INPUT_INVALID', message: problem, ref: task.ref });
  const childInstanceId = childInstanceIdOf(instance.id, instance.run, allocate(instance));
  if (childInstanceId.length > 256) {
    throw new StepFailure({
      code: 'SUBWORKFLOW_ID_TOO_LONG',
      message: `child id ${childInstanceId.slice(0, 40)}… is longer than 256 characters`,
      ref: task.ref,
    });
  }
  emit(ctx, instance, {
    type: 'ChildWorkflowStarted',
    stepId: step.id,
    ref: task.ref,
    childInstanceId,
    definitionName: task.workflow,
    version,
  });
  await startInstance(ctx, {
    instanceId: childInstanceId,
    plan,
    input: step.input,
    parent: { instanceId: instance.id, stepId: step.id, depth },
  });
}

/** A child closed: the parent's subworkflow step completes, retries with a new child, or fails. */
export async function childClosed(
  ctx: CommandContext,
  parentInstanceId: string,
  stepId: string,
  childInstanceId: string,
): Promise<void> {
  const parent = await ctx.instance(parentInstanceId);
  const step = parent?.steps[stepId];
  if (parent === undefined || step === undefined || step.childInstanceId !== childInstanceId)
    return;
  const child = await ctx.instance(childInstanceId);
  assert(child !== undefined && isClosed(child.status), `child ${childInstanceId} is not closed`);
  emit(ctx, parent, {
    type: 'ChildWorkflowClosed',
    stepId,
    ref: step.ref,
    childInstanceId,
    status: child.status,
  });
  if (child.status === 'COMPLETED') {
    const overflow = outputOverflow(ctx, parent, child.output ?? null);
    if (overflow === undefined) await completeStep(ctx, parent, stepId, child.output ?? null);
    else await failStep(ctx, parent, stepId, overflow);
    return;
  }
  const task = (await ctx.plan(parent)).task(step.ref) as SubworkflowTask;
  const error: ErrorInfo = {
    code: `CHILD_${child.status}`,
    message: `child workflow ${childInstanceId} ended ${child.status}${child.error === undefined ? '' : `: ${child.error.message}`}`,
    ref: step.ref,
  };
  const retry =
    (step.attempt ?? 1) < task.retry.maxAttempts &&
    !task.retry.nonRetryableErrors.includes(error.code) &&
    parent.status === 'RUNNING';
  if (!retry) {
    await failStep(ctx, parent, stepId, error);
    return;
  }
  // The same backoff as a task's retry: a child that failed at once must not be restarted in a
  // tight loop (each attempt is a whole new workflow).
  const delayMs = backoffDelayMs(task.retry, step.attempt ?? 1, ctx.nextSeed());
  if (delayMs > 0) {
    setTimer(ctx, parent, 'childRetry', ctx.nowMs + delayMs, {
      stepId,
      attempt: step.attempt ?? 1,
    });
    return;
  }
  await retryChild(ctx, parent, step, task);
}

async function retryChild(
  ctx: CommandContext,
  parent: InstanceState,
  step: Step,
  task: SubworkflowTask,
): Promise<void> {
  try {
    await startChildWorkflow(ctx, parent, step, task);
  } catch (failure) {
    if (!(failure instanceof StepFailure)) throw failure;
    await failStep(ctx, parent, step.id, failure.info);
  }
}

// ---------------------------------------------------------------------------------------------
// Cancellation, failure, compensation

async function cancelFrame(
  ctx: CommandContext,
  instance: InstanceState,
  frameId: string,
): Promise<void> {
  const frame = instance.frames[frameId];
  if (frame === undefined) return;
  if (frame.activeStepId !== null) await cancelStep(ctx, instance, frame.activeStepId);
  emit(ctx, instance, { type: 'FrameClosed', frameId, outcome: 'CANCELLED', output: null });
}

async function cancelStep(
  ctx: CommandContext,
  instance: InstanceState,
  stepId: string,
): Promise<void> {
  const step = instance.steps[stepId];
  if (step === undefined) return;
  switch (step.kind) {
    case 'worker':
    case 'http': {
      const task = step.taskId === undefined ? undefined : await ctx.task(step.taskId);
      if (
        task !== undefined &&
        (task.status === 'READY' || task.status === 'RUNNING' || task.status === 'RETRY_WAIT')
      ) {
        await cancelTaskTimers(ctx, instance, task);
        emit(ctx, instance, { type: 'TaskCancelled', ref: task.ref, taskId: task.id });
      }
      break;
    }
    case 'wait':
    case 'signal':
      if (step.timer !== undefined) await cancelTimer(ctx, instance, step.timer.id);
      break;
    case 'subworkflow':
      if (step.timer !== undefined) await cancelTimer(ctx, instance, step.timer.id);
      if (step.childInstanceId !== undefined) {
        ctx.notices.push({
          kind: 'cancelChild',
          childInstanceId: step.childInstanceId,
          reason: `parent ${instance.id} cancelled ${step.ref}`,
        });
      }
      break;
    case 'parallel':
    case 'foreach':
    case 'switch':
    case 'loop':
      await cancelChildFrames(ctx, instance, step);
      break;
    case 'set':
    case 'transform':
    case 'terminate':
      break;
  }
  emit(ctx, instance, { type: 'StepCancelled', stepId, ref: step.ref });
}

/** Cancels every running step of the instance, compensations included. */
export async function cancelEverything(
  ctx: CommandContext,
  instance: InstanceState,
): Promise<void> {
  const tops = Object.values(instance.frames)
    .filter((frame) => frame.parentStepId === null)
    .sort((a, b) => Number(a.id) - Number(b.id));
  for (const frame of tops) {
    if (frame.activeStepId !== null) await cancelStep(ctx, instance, frame.activeStepId);
    if (frame.compensationOf !== undefined)
      emit(ctx, instance, {
        type: 'FrameClosed',
        frameId: frame.id,
        outcome: 'CANCELLED',
        output: null,
      });
  }
}

/** The workflow failed: compensate what completed (newest first), or close as FAILED. */
export async function failWorkflow(
  ctx: CommandContext,
  instance: InstanceState,
  error: ErrorInfo,
): Promise<void> {
  await cancelEverything(ctx, instance);
  await closeTimers(ctx, instance);
  if (instance.compensations.length > 0) {
    emit(ctx, instance, { type: 'CompensationStarted', reason: error, cause: 'FAILED' });
    await runNextCompensation(ctx, instance, await ctx.plan(instance));
    return;
  }
  emit(ctx, instance, { type: 'WorkflowFailed', error });
  notifyParent(ctx, instance);
}

/** The instance's live steps in the order they started (ids are allocated in sequence). */
function stepsInOrder(instance: InstanceState): Step[] {
  return Object.values(instance.steps).sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * Pausing: the instance's queued tasks leave the ready queue, so no worker leases them, and
 * their schedule-to-start clocks stop (no worker could have taken them). Tasks already running
 * finish; their results are kept, and the flow moves on at the resume.
 */
export async function holdQueuedTasks(ctx: CommandContext, instance: InstanceState): Promise<void> {
  for (const step of stepsInOrder(instance)) {
    const task = step.taskId === undefined ? undefined : await ctx.task(step.taskId);
    if (task?.status !== 'READY' || task.readyKey === undefined) continue;
    if (task.timers.scheduleToStart !== undefined)
      await cancelTimer(ctx, instance, task.timers.scheduleToStart.id);
    emit(ctx, instance, { type: 'TaskHeld', ref: task.ref, taskId: task.id });
  }
}

/** Cancels a running or paused instance: compensate what completed, or close as CANCELLED. */
export async function cancelWorkflow(
  ctx: CommandContext,
  instance: InstanceState,
  reason: string,
): Promise<void> {
  await cancelEverything(ctx, instance);
  await closeTimers(ctx, instance);
  if (instance.compensations.length > 0) {
    emit(ctx, instance, {
      type: 'CompensationStarted',
      reason: { code: 'CANCELLED', message: reason },
      cause: 'CANCELLED',
    });
    await runNextCompensation(ctx, instance, await ctx.plan(instance));
    return;
  }
  emit(ctx, instance, { type: 'WorkflowCancelled', reason });
  notifyParent(ctx, instance);
}

export async function terminateWorkflow(
  ctx: CommandContext,
  instance: InstanceState,
  reason: string,
): Promise<void> {
  await cancelEverything(ctx, instance);
  await closeTimers(ctx, instance);
  emit(ctx, instance, { type: 'WorkflowTerminated', reason });
  notifyParent(ctx, instance);
}

async function runNextCompensation(
  ctx: CommandContext,
  instance: InstanceState,
  plan: Plan,
): Promise<void> {
  const entry = instance.compensations.at(-1);
  if (entry === undefined) {
    emit(ctx, instance, { type: 'WorkflowCompensated' });
    notifyParent(ctx, instance);
    return;
  }
  const compensation = plan.task(entry.ref).compensation;
  assert(compensation !== undefined, `${entry.ref} was recorded for compensation but has none`);
  const frameId = String(allocate(instance));
  emit(ctx, instance, {
    type: 'CompensationScheduled',
    ref: entry.ref,
    compensationRef: compensation.ref,
    frameId,
  });
  await advanceFrame(ctx, instance, frameId);
}

// ---------------------------------------------------------------------------------------------
// Operations: resume, retry, restart, signals, timers

/** Starts whatever a pause held back: every idle frame, oldest first. */
export async function resumeFrames(ctx: CommandContext, instance: InstanceState): Promise<void> {
  for (const step of stepsInOrder(instance)) {
    const task = step.taskId === undefined ? undefined : await ctx.task(step.taskId);
    if (task?.status === 'RETRY_WAIT' && task.timers.retry === undefined)
      await rescheduleTask(ctx, instance, task);
    if (step.childRetryPending === true && step.timer === undefined) {
      await retryChild(
        ctx,
        instance,
        step,
        (await ctx.plan(instance)).task(step.ref) as SubworkflowTask,
      );
    }
    if (task?.status === 'READY' && task.readyKey === undefined) {
      // Held by the pause: back into the queue, with a fresh schedule-to-start window.
      emit(ctx, instance, { type: 'TaskReleased', ref: task.ref, taskId: task.id });
      armScheduleToStart(
        ctx,
        instance,
        task.id,
        task.attempt,
        (await ctx.plan(instance)).task(task.ref),
      );
    }
  }
  const idle = Object.values(instance.frames)
    .filter((frame) => frame.activeStepId === null)
    .map((frame) => frame.id)
    .sort((a, b) => Number(a) - Number(b));
  for (const frameId of idle) await advanceFrame(ctx, instance, frameId);
}

export async function retryWorkflow(ctx: CommandContext, instance: InstanceState): Promise<void> {
  emit(ctx, instance, { type: 'WorkflowRetried', fromPosition: instance.failedAtPc ?? 0 });
  armWorkflowTimer(ctx, instance, await ctx.plan(instance));
  await advanceFrame(ctx, instance, instance.rootFrameId);
}

export async function restartWorkflow(ctx: CommandContext, instance: InstanceState): Promise<void> {
  emit(ctx, instance, { type: 'WorkflowRestarted' });
  await runFromTop(ctx, instance, await ctx.plan(instance));
}

/** Delivers a signal to the oldest step waiting for it, or buffers it. False: buffer full. */
export async function deliverSignal(
  ctx: CommandContext,
  instance: InstanceState,
  name: string,
  payload: JsonValue,
  signalId: string | undefined,
): Promise<boolean> {
  const remember =
    signalId === undefined ? {} : { signalId, rememberIds: ctx.limits.maxBufferedSignals };
  const waiting = Object.values(instance.steps)
    .filter((step) => step.kind === 'signal' && step.signalName === name)
    .sort((a, b) => Number(a.id) - Number(b.id))[0];
  if (waiting === undefined) {
    const buffered = Object.values(instance.bufferedSignals).reduce(
      (sum, queue) => sum + queue.length,
      0,
    );
    if (buffered >= ctx.limits.maxBufferedSignals) return false;
    emit(ctx, instance, { type: 'SignalReceived', name, payload, buffered: true, ...remember });
    return true;
  }
  emit(ctx, instance, { type: 'SignalReceived', name, payload, buffered: false, ...remember });
  if (waiting.timer !== undefined) await cancelTimer(ctx, instance, waiting.timer.id);
  emit(ctx, instance, { type: 'SignalConsumed', ref: waiting.ref, name, fromBuffer: false });
  await completeStep(ctx, instance, waiting.id, payload);
  return true;
}

/** A due timer: what it was waiting for happens now. */
export async function timerFired(
  ctx: CommandContext,
  instance: InstanceState,
  timer: TimerRecord,
): Promise<void> {
  const task = timer.taskId === undefined ? undefined : await ctx.task(timer.taskId);
  emit(ctx, instance, { type: 'TimerFired', ...timer });
  switch (timer.purpose) {
    case 'wait':
      if (timer.stepId !== undefined) await completeStep(ctx, instance, timer.stepId, null);
      return;
    case 'childRetry': {
      // A paused instance starts no child: the step stays pending and the resume starts it.
      const step = timer.stepId === undefined ? undefined : instance.steps[timer.stepId];
      if (
        step?.childRetryPending === true &&
        step.attempt === timer.attempt &&
        instance.status === 'RUNNING'
      ) {
        await retryChild(
          ctx,
          instance,
          step,
          (await ctx.plan(instance)).task(step.ref) as SubworkflowTask,
        );
      }
      return;
    }
    case 'signalTimeout':
      if (timer.stepId !== undefined) {
        const step = instance.steps[timer.stepId];
        const name = step?.signalName ?? '?';
        await failStep(ctx, instance, timer.stepId, {
          code: 'SIGNAL_TIMEOUT',
          message: `no signal ${name} arrived in time`,
        });
      }
      return;
    case 'workflowTimeout':
      if (instance.status === 'RUNNING' || instance.status === 'PAUSED') {
        const plan = await ctx.plan(instance);
        await failWorkflow(ctx, instance, {
          code: 'WORKFLOW_TIMEOUT',
          message: `the workflow did not finish within ${plan.definition.timeoutMs} ms`,
        });
      }
      return;
    case 'retry':
      // A paused instance queues nothing new: the task waits (without a timer) for the resume.
      if (
        task?.status === 'RETRY_WAIT' &&
        task.attempt === timer.attempt &&
        instance.status !== 'PAUSED'
      ) {
        await rescheduleTask(ctx, instance, task);
      }
      return;
    case 'scheduleToStart':
      if (task?.status === 'READY' && task.attempt === timer.attempt) {
        await failTaskAttempt(
          ctx,
          instance,
          task,
          { code: 'TIMEOUT_SCHEDULETOSTART', message: 'no worker took the task in time' },
          'scheduleToStart',
        );
      }
      return;
    case 'startToClose':
      if (task?.status === 'RUNNING' && task.attempt === timer.attempt) {
        await failTaskAttempt(
          ctx,
          instance,
          task,
          { code: 'TIMEOUT_STARTTOCLOSE', message: 'the worker did not finish in time' },
          'startToClose',
        );
      }
      return;
    case 'heartbeat': {
      if (task?.status !== 'RUNNING' || task.attempt !== timer.attempt) return;
      const heartbeatMs = (await ctx.plan(instance)).task(task.ref).timeouts.heartbeatMs;
      const deadlineMs = (task.lastHeartbeatMs ?? task.startedMs ?? 0) + heartbeatMs;
      if (deadlineMs > ctx.nowMs) {
        setTimer(ctx, instance, 'heartbeat', deadlineMs, {
          taskId: task.id,
          attempt: task.attempt,
        });
        return;
      }
      await failTaskAttempt(
        ctx,
        instance,
        task,
        { code: 'TIMEOUT_HEARTBEAT', message: 'the worker stopped heartbeating' },
        'heartbeat',
      );
      return;
    }
  }
}
