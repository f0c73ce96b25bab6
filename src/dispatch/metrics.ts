/**
 * What dispatch reports to the node's metrics (src/observability/metrics.ts has the Prometheus
 * names). An interface, so dispatch does not depend on prom-client and tests can pass nothing.
 */

/** How one call of an HTTP task ended, as the executor saw it (the engine judges the status). */
export type HttpCallOutcome =
  | '2xx'
  | '3xx'
  | '4xx'
  | '5xx'
  | 'timeout'
  | 'unreachable'
  | 'invalid_request'
  | 'response_too_large';

export interface DispatchMetrics {
  /** Leases this node handed out: committed ActivateTasks, to workers and to its HTTP executor. */
  tasksActivated(count: number): void;
  /** A FireTimer this node proposed was applied. */
  timerFired(): void;
  httpCall(outcome: HttpCallOutcome, seconds: number): void;
  /** Closed workflows this node's pruner removed. */
  workflowsPruned(count: number): void;
}

export const NO_DISPATCH_METRICS: DispatchMetrics = {
  tasksActivated: () => undefined,
  timerFired: () => undefined,
  httpCall: () => undefined,
  workflowsPruned: () => undefined,
};

/** The outcome label of an HTTP response's status. */
export function statusClass(status: number): HttpCallOutcome {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}
