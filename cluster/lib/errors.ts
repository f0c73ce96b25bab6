/**
 * Errors raised by the process-cluster harness and its client. Each names what to look at next
 * (usually a node's log file).
 */
import { BatonError } from '../../src/lib/errors.ts';

/** A node process could not be started or exited when it should not have. */
export class NodeProcessError extends BatonError {
  override readonly name = 'NodeProcessError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** A condition the harness waits for (a leader, convergence) did not arrive in time. */
export class WaitTimeoutError extends BatonError {
  override readonly name = 'WaitTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEADLINE_EXCEEDED', message, options);
  }
}

/** A call kept failing with a retryable status until the client's retry budget ran out. */
export class RetryBudgetExhaustedError extends BatonError {
  override readonly name = 'RetryBudgetExhaustedError';
  readonly attempts: number;
  constructor(method: string, attempts: number, budgetMs: number, options?: { cause?: unknown }) {
    super(
      'UNAVAILABLE',
      `${method} failed ${attempts} times within ${budgetMs} ms (last error in cause); ` +
        'is a majority of the cluster up and reachable?',
      options,
    );
    this.attempts = attempts;
  }
}
