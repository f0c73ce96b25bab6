/**
 * Leader-only dispatch: the timer driver, workers' ActivateTasks long-polls, and the engine's
 * apply effects that wake them. It proposes commands; it never changes state itself.
 */
export { Dispatcher, MAX_LONG_POLL_MS, MAX_LONG_POLLERS } from './dispatcher.ts';
export type { ActivateRequest, DispatchReplica } from './dispatcher.ts';
export { EffectBus, ObservedEngine } from './effects.ts';
export type { EffectListener } from './effects.ts';
export { NO_DISPATCH_METRICS } from './metrics.ts';
export type { DispatchMetrics, HttpCallOutcome } from './metrics.ts';
export { EngineRejectionError, TooManyPollersError } from './errors.ts';
export { ReadySignals } from './ready-signals.ts';
export { TimerDriver } from './timer-driver.ts';
export { newSeed, newWorkflowId, stampNowMs } from './stamp.ts';
export {
  HttpExecutor,
  MAX_HTTP_CALLS_IN_FLIGHT,
  MAX_HTTP_RESPONSE_BYTES,
} from './http-executor.ts';
export { ClosedPruner, DEFAULT_CLOSED_RETENTION_MS, PRUNE_INTERVAL_MS } from './pruner.ts';
