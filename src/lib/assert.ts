/**
 * Assertions guard invariants: a failed assertion is a programmer error, never an operating
 * condition, so it throws AssertionFailedError and the process is expected to crash rather than
 * limp on with a broken invariant (STYLE.md habit 7).
 */
export class AssertionFailedError extends Error {
  override readonly name = 'AssertionFailedError';
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionFailedError(typeof message === 'function' ? message() : message);
  }
}

export function unreachable(value: never, context = 'unexpected value'): never {
  throw new AssertionFailedError(`${context}: ${JSON.stringify(value)}`);
}
