import { BatonError } from '../lib/index.ts';

/** A request field is missing, malformed or over its limit. */
export class ValidationError extends BatonError {
  override readonly name = 'ValidationError';
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_ARGUMENT', `${field}: ${message}`);
    this.field = field;
  }
}
