import { unreachable } from '../../lib/assert.ts';
import type { CommandContext } from '../context.ts';
import type { EngineEvent } from '../events.ts';
import type { InstanceState } from '../state.ts';
import * as flow from './flow.ts';
import * as signal from './signal.ts';
import * as task from './task.ts';
import * as timer from './timer.ts';
import * as workflow from './workflow.ts';

/** Routes an event to its one applier. Appliers are synchronous and read only state. */
export function applyEvent(ctx: CommandContext, instance: InstanceState, event: EngineEvent): void {
  switch (event.type) {
    case 'WorkflowStarted': {
      workflow.applyWorkflowStarted(ctx, instance, event);
      return;
    }
    case 'WorkflowCompleted': {
      workflow.applyWorkflowCompleted(ctx, instance, event);
      return;
    }
    case 'WorkflowFailed': {
      workflow.applyWorkflowFailed(ctx, instance, event);
      return;
    }
    case 'WorkflowCancelled': {
      workflow.applyWorkflowCancelled(ctx, instance, event);
      return;
    }
    case 'WorkflowTerminated': {
      workflow.applyWorkflowTerminated(ctx, instance, event);
      return;
    }
    case 'WorkflowPaused': {
      workflow.applyWorkflowPaused(ctx, instance);
      return;
    }
    case 'WorkflowResumed': {
      workflow.applyWorkflowResumed(ctx, instance);
      return;
    }
    case 'WorkflowRetried': {
      workflow.applyWorkflowRetried(ctx, instance, event);
      return;
    }
    case 'WorkflowRestarted': {
      workflow.applyWorkflowRestarted(ctx, instance);
      return;
    }
    case 'CompensationStarted': {
      workflow.applyCompensationStarted(ctx, instance, event);
      return;
    }
    case 'CompensationScheduled': {
      workflow.applyCompensationScheduled(ctx, instance, event);
      return;
    }
    case 'WorkflowCompensated': {
      workflow.applyWorkflowCompensated(ctx, instance);
      return;
    }
    case 'WorkflowCompensationFailed': {
      workflow.applyWorkflowCompensationFailed(ctx, instance, event);
      return;
    }
    case 'StepStarted': {
      flow.applyStepStarted(ctx, instance, event);
      return;
    }
    case 'StepCompleted': {
      flow.applyStepCompleted(ctx, instance, event);
      return;
    }
    case 'StepFailed': {
      flow.applyStepFailed(ctx, instance, event);
      return;
    }
    case 'StepCancelled': {
      flow.applyStepCancelled(ctx, instance, event);
      return;
    }
    case 'VariablesSet': {
      flow.applyVariablesSet(ctx, instance, event);
      return;
    }
    case 'BranchChosen': {
      flow.applyBranchChosen();
      return;
    }
    case 'FanOutStarted': {
      flow.applyFanOutStarted(ctx, instance, event);
      return;
    }
    case 'FrameStarted': {
      flow.applyFrameStarted(ctx, instance, event);
      return;
    }
    case 'FrameClosed': {
      flow.applyFrameClosed(ctx, instance, event);
      return;
    }
    case 'LoopIterationStarted': {
      flow.applyLoopIterationStarted(ctx, instance, event);
      return;
    }
    case 'TaskScheduled': {
      task.applyTaskScheduled(ctx, instance, event);
      return;
    }
    case 'TaskStarted': {
      task.applyTaskStarted(ctx, instance, event);
      return;
    }
    case 'TaskHeartbeat': {
      task.applyTaskHeartbeat(ctx, instance, event);
      return;
    }
    case 'TaskCompleted': {
      task.applyTaskCompleted(ctx, instance, event);
      return;
    }
    case 'TaskFailed': {
      task.applyTaskFailed(ctx, instance, event);
      return;
    }
    case 'TaskTimedOut': {
      task.applyTaskTimedOut(ctx, instance, event);
      return;
    }
    case 'TaskCancelled': {
      task.applyTaskCancelled(ctx, instance, event);
      return;
    }
    case 'TaskHeld': {
      task.applyTaskHeld(ctx, instance, event);
      return;
    }
    case 'TaskReleased': {
      task.applyTaskReleased(ctx, instance, event);
      return;
    }
    case 'TimerSet': {
      timer.applyTimerSet(ctx, instance, event);
      return;
    }
    case 'TimerFired': {
      timer.applyTimerFired(ctx, instance, event);
      return;
    }
    case 'TimerCancelled': {
      timer.applyTimerCancelled(ctx, instance, event);
      return;
    }
    case 'SignalReceived': {
      signal.applySignalReceived(ctx, instance, event);
      return;
    }
    case 'SignalConsumed': {
      signal.applySignalConsumed(ctx, instance, event);
      return;
    }
    case 'ChildWorkflowStarted': {
      signal.applyChildWorkflowStarted(ctx, instance, event);
      return;
    }
    case 'ChildWorkflowClosed': {
      signal.applyChildWorkflowClosed();
      return;
    }
    default:
      return unreachable(event, 'event type');
  }
}

/** Records and applies one event: the only way deciders change state. */
export function emit(ctx: CommandContext, instance: InstanceState, event: EngineEvent): void {
  ctx.emit(instance, event, (target, applied) => {
    applyEvent(ctx, target, applied);
  });
}
