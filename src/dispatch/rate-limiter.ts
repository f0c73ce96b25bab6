/**
 * Per-task-type rate limits (`rateLimitPerSecond` from the definitions, kept in the engine's
 * task-type settings): a token bucket per type on the leader, holding at most one second of
 * tokens (and at least one token, so a rate below 1/s still lets a task through). Activation takes tokens for the tasks it leased; when none is left it waits for the
 * next one. The engine enforces concurrency limits itself; rates depend on real time, so they
 * live here.
 */

/** Task types whose buckets are kept (the least recently used is forgotten first). */
export const MAX_RATE_LIMITED_TYPES = 10_000;

interface Bucket {
  tokens: number;
  updatedMs: number;
  ratePerSecond: number;
}

export class TaskTypeRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** How many tasks may be leased now (≤ wanted); 0 means wait `retryInMs`. */
  available(
    taskType: string,
    ratePerSecond: number | undefined,
    wanted: number,
    nowMs: number,
  ): { allowed: number; retryInMs: number } {
    if (ratePerSecond === undefined || ratePerSecond <= 0) return { allowed: wanted, retryInMs: 0 };
    const bucket = this.refill(taskType, ratePerSecond, nowMs);
    const allowed = Math.min(wanted, Math.floor(bucket.tokens));
    if (allowed > 0) return { allowed, retryInMs: 0 };
    return { allowed: 0, retryInMs: Math.ceil(((1 - bucket.tokens) * 1000) / ratePerSecond) };
  }

  /** Records `count` tasks leased under the type's rate. */
  take(taskType: string, ratePerSecond: number | undefined, count: number, nowMs: number): void {
    if (ratePerSecond === undefined || ratePerSecond <= 0 || count === 0) return;
    const bucket = this.refill(taskType, ratePerSecond, nowMs);
    bucket.tokens -= count;
  }

  private refill(taskType: string, ratePerSecond: number, nowMs: number): Bucket {
    let bucket = this.buckets.get(taskType);
    if (bucket === undefined) {
      bucket = { tokens: capacity(ratePerSecond), updatedMs: nowMs, ratePerSecond };
      if (this.buckets.size >= MAX_RATE_LIMITED_TYPES) {
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
    } else {
      this.buckets.delete(taskType);
      const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
      bucket.ratePerSecond = ratePerSecond;
      bucket.tokens = Math.min(
        capacity(ratePerSecond),
        bucket.tokens + (elapsedMs * ratePerSecond) / 1000,
      );
      bucket.updatedMs = nowMs;
    }
    this.buckets.set(taskType, bucket);
    return bucket;
  }
}

function capacity(ratePerSecond: number): number {
  return Math.max(1, ratePerSecond);
}
