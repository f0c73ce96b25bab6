import { describe, expect, it } from 'vitest';
import { DEFAULT_STEPS } from './run.ts';
import { describeResult, firstFailure } from './seed-batch.ts';

// npm test runs 2,000 seeds x 2,000 steps in four files, so vitest's forks pool spreads them
// over the cores; this file holds seeds 501..1000.
const FIRST_SEED = 501;
const SEEDS = 500;
const CHUNK = 100;

describe('simulation: every safety invariant after every step, then liveness', () => {
  for (let first = FIRST_SEED; first < FIRST_SEED + SEEDS; first += CHUNK) {
    it(`seeds ${first}..${first + CHUNK - 1} x ${DEFAULT_STEPS} steps`, () => {
      const failure = firstFailure(first, CHUNK, { steps: DEFAULT_STEPS });
      expect(failure, describeResult(failure)).toBeNull();
    });
  }
});
