import { BatonError } from '../lib/index.ts';

/** The configuration (flags, environment, file) is invalid; the message names every bad setting. */
export class ConfigError extends BatonError {
  override readonly name = 'ConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}
