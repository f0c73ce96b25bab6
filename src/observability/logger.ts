/**
 * The pino logger factory. A node's root logger carries its node id and cluster id; the replica
 * derives child loggers that also carry the current term.
 */
import { pino } from 'pino';
import type { Logger, LevelWithSilent, DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly level: LevelWithSilent;
  /** Defaults to stdout. Tests pass a stream (or level "silent"). */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = { node: options.nodeId, cluster: options.clusterId };
  const settings = { level: options.level, base, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
