import { BatonError } from '../lib/index.ts';

/** A definition or workflow a read asked for does not exist (on the state the read saw). */
export class WorkflowNotFoundError extends BatonError {
  override readonly name = 'WorkflowNotFoundError';

  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}
