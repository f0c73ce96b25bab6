import { BatonError, type ErrorCode } from '../lib/errors.ts';

/**
 * Every typed error of the workflow engine. A command the engine rejects changes nothing; the
 * rejection carries one of these codes (`EngineRejectionCode`) and a message naming what to fix.
 */

/** Stable machine-readable reasons a command is rejected, finer than the gRPC-level ErrorCode. */
export type EngineRejectionCode =
  | 'BAD_COMMAND'
  | 'DEFINITION_INVALID'
  | 'DEFINITION_NOT_FOUND'
  | 'INSTANCE_NOT_FOUND'
  | 'INSTANCE_ALREADY_EXISTS'
  | 'INSTANCE_NOT_RUNNING'
  | 'INSTANCE_NOT_PAUSED'
  | 'INSTANCE_NOT_FAILED'
  | 'INSTANCE_CLOSED'
  | 'INSTANCE_NOT_CLOSED'
  | 'TASK_NOT_FOUND'
  | 'STALE_ATTEMPT'
  | 'TASK_NOT_RUNNING'
  | 'TIMER_NOT_FOUND'
  | 'TIMER_NOT_DUE'
  | 'LIMIT_EXCEEDED'
  | 'EXPRESSION_FAILED';

const GRPC_CODE_OF: Record<EngineRejectionCode, ErrorCode> = {
  BAD_COMMAND: 'INVALID_ARGUMENT',
  DEFINITION_INVALID: 'INVALID_ARGUMENT',
  DEFINITION_NOT_FOUND: 'NOT_FOUND',
  INSTANCE_NOT_FOUND: 'NOT_FOUND',
  INSTANCE_ALREADY_EXISTS: 'ALREADY_EXISTS',
  INSTANCE_NOT_RUNNING: 'FAILED_PRECONDITION',
  INSTANCE_NOT_PAUSED: 'FAILED_PRECONDITION',
  INSTANCE_NOT_FAILED: 'FAILED_PRECONDITION',
  INSTANCE_CLOSED: 'FAILED_PRECONDITION',
  INSTANCE_NOT_CLOSED: 'FAILED_PRECONDITION',
  TASK_NOT_FOUND: 'NOT_FOUND',
  STALE_ATTEMPT: 'FAILED_PRECONDITION',
  TASK_NOT_RUNNING: 'FAILED_PRECONDITION',
  TIMER_NOT_FOUND: 'NOT_FOUND',
  TIMER_NOT_DUE: 'FAILED_PRECONDITION',
  LIMIT_EXCEEDED: 'RESOURCE_EXHAUSTED',
  EXPRESSION_FAILED: 'INVALID_ARGUMENT',
};

/** The gRPC-level code the edge (src/api) should answer with for an engine rejection. */
export function grpcCodeOfRejection(code: EngineRejectionCode): ErrorCode {
  return GRPC_CODE_OF[code];
}

/**
 * Thrown inside the engine while deciding a command; the engine catches it, discards every write
 * the command made and returns it as a rejection. Never escapes `WorkflowEngine.apply`.
 */
export class CommandRejectedError extends BatonError {
  override readonly name: string = 'CommandRejectedError';
  readonly rejection: EngineRejectionCode;

  constructor(rejection: EngineRejectionCode, message: string, options?: { cause?: unknown }) {
    super(GRPC_CODE_OF[rejection], message, options);
    this.rejection = rejection;
  }
}

/** A command's bytes could not be decoded or do not describe a valid command. */
export class BadCommandError extends CommandRejectedError {
  override readonly name = 'BadCommandError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_COMMAND', message, options);
  }
}

/** A stored value could not be decoded: the engine's own state is corrupt (crash, do not limp). */
export class CorruptStateError extends BatonError {
  override readonly name = 'CorruptStateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATA_LOSS', message, options);
  }
}
