/**
 * The base of every typed Baton error. `code` is stable and machine-readable; the edge (src/api)
 * maps it to a gRPC status. Messages are written for the person who has to act on them.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'ABORTED'
  | 'INTERNAL'
  | 'DATA_LOSS'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'CANCELLED';

export class BatonError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
