import type { JsonObject, JsonValue, TaskType } from './definition/types.ts';
import type { ErrorInfo, HttpRequestSpec, TimerPurpose, TimerRecord } from './state.ts';

/**
 * Events: the facts a command decided. Each has exactly one applier (appliers/) that changes
 * state; most are also appended to the instance's history, which is what `get` shows. Events are
 * versioned by their shape: once stored, an event type's fields are only ever added to.
 */
export type EngineEvent =
  // workflow lifecycle (appliers/workflow.ts)
  | {
      type: 'WorkflowStarted';
      definitionName: string;
      version: number;
      input: JsonValue;
      businessKey?: string;
      parentInstanceId?: string;
    }
  | { type: 'WorkflowCompleted'; output: JsonValue }
  | { type: 'WorkflowFailed'; error: ErrorInfo }
  | { type: 'WorkflowCancelled'; reason: string }
  | { type: 'WorkflowTerminated'; reason: string }
  | { type: 'WorkflowPaused' }
  | { type: 'WorkflowResumed' }
  | { type: 'WorkflowRetried'; fromPosition: number }
  | { type: 'WorkflowRestarted' }
  | { type: 'CompensationStarted'; reason: ErrorInfo; cause: 'FAILED' | 'CANCELLED' }
  | { type: 'CompensationScheduled'; ref: string; compensationRef: string; frameId: string }
  | { type: 'WorkflowCompensated' }
  | { type: 'WorkflowCompensationFailed'; error: ErrorInfo }
  // steps and frames (appliers/flow.ts)
  | {
      type: 'StepStarted';
      stepId: string;
      ref: string;
      kind: TaskType;
      frameId: string;
      input: JsonValue;
      signalName?: string;
    }
  | { type: 'StepCompleted'; stepId: string; ref: string; output: JsonValue; compensable: boolean }
  | { type: 'StepFailed'; stepId: string; ref: string; error: ErrorInfo }
  | { type: 'StepCancelled'; stepId: string; ref: string }
  | { type: 'VariablesSet'; ref: string; vars: JsonObject }
  | { type: 'BranchChosen'; ref: string; branch: string }
  | { type: 'FanOutStarted'; stepId: string; ref: string; items: JsonValue[] | null; slots: number }
  | {
      type: 'FrameStarted';
      frameId: string;
      parentStepId: string | null;
      parentFrameId: string | null;
      owner: string | null;
      sequence: string;
      slot: number;
      item?: JsonValue;
      index?: number;
      iteration?: number;
      compensationOf?: string;
    }
  | {
      type: 'FrameClosed';
      frameId: string;
      outcome: 'COMPLETED' | 'FAILED' | 'CANCELLED';
      output: JsonValue;
    }
  | { type: 'LoopIterationStarted'; stepId: string; ref: string; iteration: number }
  // worker and http tasks (appliers/task.ts)
  | {
      type: 'TaskScheduled';
      ref: string;
      stepId: string;
      taskId: string;
      kind: 'worker' | 'http';
      taskType: string;
      attempt: number;
      priority: number;
      input: JsonValue;
      http?: HttpRequestSpec;
    }
  | { type: 'TaskStarted'; ref: string; taskId: string; attempt: number; workerId: string }
  | { type: 'TaskHeartbeat'; taskId: string; attempt: number }
  | { type: 'TaskCompleted'; ref: string; taskId: string; attempt: number; output: JsonValue }
  | {
      type: 'TaskFailed';
      ref: string;
      taskId: string;
      attempt: number;
      error: ErrorInfo;
      retryAtMs?: number;
    }
  | {
      type: 'TaskTimedOut';
      ref: string;
      taskId: string;
      attempt: number;
      timeout: TimerPurpose;
      retryAtMs?: number;
    }
  | { type: 'TaskCancelled'; ref: string; taskId: string }
  // A pause takes a queued task out of the ready queue (still READY); the resume puts it back.
  | { type: 'TaskHeld'; ref: string; taskId: string }
  | { type: 'TaskReleased'; ref: string; taskId: string }
  // timers (appliers/timer.ts)
  | ({ type: 'TimerSet' } & TimerRecord)
  | ({ type: 'TimerFired' } & TimerRecord)
  | ({ type: 'TimerCancelled' } & TimerRecord)
  // signals and children (appliers/signal.ts)
  | {
      type: 'SignalReceived';
      name: string;
      payload: JsonValue;
      buffered: boolean;
      signalId?: string;
      rememberIds?: number;
    }
  | { type: 'SignalConsumed'; ref: string; name: string; fromBuffer: boolean }
  | {
      type: 'ChildWorkflowStarted';
      stepId: string;
      ref: string;
      childInstanceId: string;
      definitionName: string;
      version: number;
    }
  | {
      type: 'ChildWorkflowClosed';
      stepId: string;
      ref: string;
      childInstanceId: string;
      status: string;
    };

export type EngineEventType = EngineEvent['type'];
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;

/** Bookkeeping events that change state but would only clutter a person's view of history. */
export const UNRECORDED_EVENTS: ReadonlySet<EngineEventType> = new Set<EngineEventType>([
  'FrameStarted',
  'FrameClosed',
  'TaskHeartbeat',
  'TimerCancelled',
  'StepStarted',
]);

/** One entry of an instance's history as stored at h/<instanceId>/<seq>. */
export type HistoryEvent = EngineEvent & { seq: number; atMs: number };
