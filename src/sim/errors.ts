import { BatonError } from '../lib/index.ts';

/**
 * A safety or liveness property of the Raft core failed in simulation. Carries the name of the
 * invariant so the CLI and the bug-switch tests can say which one broke.
 */
export class InvariantViolationError extends BatonError {
  override readonly name = 'InvariantViolationError';
  readonly invariant: string;

  constructor(invariant: string, detail: string) {
    super('INTERNAL', `${invariant} violated: ${detail}`);
    this.invariant = invariant;
  }
}

/** The simulator itself was asked for something it cannot do (a bad option, an unknown bug name). */
export class SimulationUsageError extends BatonError {
  override readonly name = 'SimulationUsageError';

  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
