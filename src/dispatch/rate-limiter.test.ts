import { describe, expect, it } from 'vitest';
import { TaskTypeRateLimiter } from './rate-limiter.ts';

describe('TaskTypeRateLimiter', () => {
  it('lets everything through for a type without a rate', () => {
    const limiter = new TaskTypeRateLimiter();
    expect(limiter.available('t', undefined, 50, 0)).toEqual({ allowed: 50, retryInMs: 0 });
  });

  it('allows a second of tokens, then one per 1/rate seconds', () => {
    const limiter = new TaskTypeRateLimiter();
    expect(limiter.available('t', 2, 10, 1_000).allowed).toBe(2);
    limiter.take('t', 2, 2, 1_000);
    expect(limiter.available('t', 2, 10, 1_000)).toEqual({ allowed: 0, retryInMs: 500 });
    expect(limiter.available('t', 2, 10, 1_500).allowed).toBe(1);
    expect(limiter.available('t', 2, 10, 10_000).allowed).toBe(2);
  });

  it('keeps types apart', () => {
    const limiter = new TaskTypeRateLimiter();
    limiter.take('a', 1, 1, 0);
    expect(limiter.available('a', 1, 1, 0).allowed).toBe(0);
    expect(limiter.available('b', 1, 1, 0).allowed).toBe(1);
  });

  it('lets one task through under a rate below one per second', () => {
    const limiter = new TaskTypeRateLimiter();
    expect(limiter.available('slow', 0.5, 5, 0).allowed).toBe(1);
    limiter.take('slow', 0.5, 1, 0);
    expect(limiter.available('slow', 0.5, 5, 1_000)).toEqual({ allowed: 0, retryInMs: 1000 });
    expect(limiter.available('slow', 0.5, 5, 2_000).allowed).toBe(1);
  });
});
