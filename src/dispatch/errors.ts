import { BatonError } from '../lib/index.ts';

/** Too many workers are long-polling this node at once; they should back off and poll again. */
export class TooManyPollersError extends BatonError {
  override readonly name = 'TooManyPollersError';

  constructor(limit: number) {
    super(
      'RESOURCE_EXHAUSTED',
      `more than ${limit} ActivateTasks long-polls are waiting on this node; poll again after a short backoff`,
    );
  }
}

/** The engine rejected a command the node proposed; it changed nothing. */
export class EngineRejectionError extends BatonError {
  override readonly name = 'EngineRejectionError';
  /** The engine's fine-grained reason (STALE_ATTEMPT, INSTANCE_NOT_FOUND …). */
  readonly rejection: string;

  constructor(result: { code: string; grpcCode: BatonError['code']; message: string }) {
    super(result.grpcCode, `${result.code}: ${result.message}`);
    this.rejection = result.code;
  }
}
