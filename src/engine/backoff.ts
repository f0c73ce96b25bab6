import { SeededRng } from '../lib/rng.ts';
import type { RetryPolicy } from './definition/types.ts';

/**
 * The delay before attempt `attempt + 1`. Only + - * / and floor on doubles, which IEEE 754
 * defines exactly: Math.pow may differ between engines, so exponential growth is a loop (bounded
 * by the cap and by the policy's ≤ 100 attempts). Jitter takes away up to `jitter` of the delay,
 * drawn from the seed the leader put in the command.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, seed: number): number {
  let delayMs = policy.initialIntervalMs;
  if (policy.backoff === 'exponential') {
    for (let i = 1; i < attempt && delayMs < policy.maxIntervalMs; i++)
      delayMs = delayMs * policy.multiplier;
  }
  delayMs = Math.min(delayMs, policy.maxIntervalMs);
  if (policy.jitter > 0) {
    const draw = new SeededRng(seed).next();
    delayMs = delayMs * (1 - policy.jitter * draw);
  }
  return Math.max(0, Math.floor(delayMs));
}
