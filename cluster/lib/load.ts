/**
 * A write load generator that does not bottleneck itself: one process, `concurrency` workers,
 * each with one unary call in flight at a time, over the client's few shared channels. It keeps
 * what was acknowledged (for the checkers) and each call's latency from process.hrtime.bigint().
 */
import { sleep } from './stats.ts';

export type PutFunction = (key: string, value: Uint8Array) => Promise<unknown>;

export interface WriteLoadOptions {
  put: PutFunction;
  concurrency: number;
  keyPrefix: string;
  /** The value of a key; by default derived from the key so a checker can recompute it. */
  makeValue?: (key: string) => Uint8Array;
  /** Keep acknowledged key → value pairs (tests); off for long benchmarks. */
  recordAcknowledged?: boolean;
  /** Pause between one worker's calls after a failure, so a dead cluster is not spun on. */
  failurePauseMs?: number;
}

export interface WriteLoadResult {
  acknowledgedCount: number;
  failedCount: number;
  /** Latency of each acknowledged call, ms, in completion order. */
  latenciesMs: number[];
  elapsedMs: number;
  /** The first few failures, for the report. */
  failureSamples: unknown[];
}

export const CONCURRENCY_MAX = 4_096;
export const FAILURE_SAMPLES_MAX = 20;

export function valueForKey(key: string): Uint8Array {
  return Buffer.from(`value-of-${key}`);
}

export class WriteLoad {
  /** key → value of every acknowledged write (when recording). */
  readonly acknowledged = new Map<string, Uint8Array>();
  private readonly options: WriteLoadOptions;
  private readonly latenciesMs: number[] = [];
  private readonly failureSamples: unknown[] = [];
  private failedCount = 0;
  private acknowledgedCount = 0;
  private stopping = false;
  private workers: Promise<void>[] = [];
  private startNs = 0n;

  constructor(options: WriteLoadOptions) {
    if (options.concurrency < 1 || options.concurrency > CONCURRENCY_MAX) {
      throw new RangeError(`concurrency must be 1..${CONCURRENCY_MAX}, got ${options.concurrency}`);
    }
    this.options = options;
  }

  get acknowledgedSoFar(): number {
    return this.acknowledgedCount;
  }

  start(): this {
    this.startNs = process.hrtime.bigint();
    for (let worker = 0; worker < this.options.concurrency; worker++) {
      this.workers.push(this.work(worker));
    }
    return this;
  }

  /** Lets in-flight calls finish (they may still be acknowledged) and returns the totals. */
  async stop(): Promise<WriteLoadResult> {
    this.stopping = true;
    await Promise.all(this.workers);
    return {
      acknowledgedCount: this.acknowledgedCount,
      failedCount: this.failedCount,
      latenciesMs: this.latenciesMs,
      elapsedMs: Number(process.hrtime.bigint() - this.startNs) / 1e6,
      failureSamples: this.failureSamples,
    };
  }

  /** Runs for `durationMs`, then stops. */
  async runFor(durationMs: number): Promise<WriteLoadResult> {
    this.start();
    await sleep(durationMs);
    return this.stop();
  }

  private async work(worker: number): Promise<void> {
    const makeValue = this.options.makeValue ?? valueForKey;
    for (let sequence = 0; !this.stopping; sequence++) {
      const key = `${this.options.keyPrefix}-${worker}-${sequence}`;
      const value = makeValue(key);
      const callStartNs = process.hrtime.bigint();
      try {
        await this.options.put(key, value);
        this.latenciesMs.push(Number(process.hrtime.bigint() - callStartNs) / 1e6);
        this.acknowledgedCount++;
        if (this.options.recordAcknowledged === true) this.acknowledged.set(key, value);
      } catch (error) {
        this.failedCount++;
        if (this.failureSamples.length < FAILURE_SAMPLES_MAX) this.failureSamples.push(error);
        await sleep(this.options.failurePauseMs ?? 20);
      }
    }
  }
}
