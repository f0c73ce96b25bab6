import { BatonError } from '../../lib/index.ts';

/**
 * A property of the replicated workflow engine failed in simulation: replicas disagree, a task
 * effect was applied twice, a rejection changed state, an engine invariant broke, or the engine
 * threw. Carries the property's name so the CLI and the tests can say which one.
 */
export class EngineSimViolationError extends BatonError {
  override readonly name = 'EngineSimViolationError';
  readonly property: string;

  constructor(property: string, detail: string) {
    super('INTERNAL', `${property} violated: ${detail}`);
    this.property = property;
  }
}

/** The engine simulator was asked for something it cannot do (a bad option). */
export class EngineSimUsageError extends BatonError {
  override readonly name = 'EngineSimUsageError';

  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
