import { expect, it } from 'vitest';
import { DEFAULT_STEPS, runSeed } from './run.ts';
import type { RunOptions, RunResult } from './run.ts';

/** Runs seeds [first, first + count) and returns the first failing result, or null. */
export function firstFailure(
  first: number,
  count: number,
  options: Omit<RunOptions, 'seed'> = {},
): RunResult | null {
  for (let seed = first; seed < first + count; seed++) {
    const result = runSeed({ ...options, seed });
    if (result.failure !== null) return result;
  }
  return null;
}

/** A failure as a test prints it: what broke, where, and how to replay it. */
export function describeResult(result: RunResult | null): string {
  if (result?.failure == null) return 'no failure';
  const f = result.failure;
  return [
    `seed ${result.seed} (${result.nodes} nodes, profile ${result.profile}): ${f.message}`,
    ...f.traceTail.slice(-15).map((line) => `  ${line}`),
    `replay: ${result.replay}`,
  ].join('\n');
}

export const SEEDS_PER_TEST = 100;

/**
 * Registers one test per SEEDS_PER_TEST seeds in [firstSeed, firstSeed + seeds), each run for
 * DEFAULT_STEPS steps. The seeds are split over several test files so vitest's forks pool spreads
 * them over the cores.
 */
export function itRunsSeeds(firstSeed: number, seeds: number): void {
  for (let first = firstSeed; first < firstSeed + seeds; first += SEEDS_PER_TEST) {
    const count = Math.min(SEEDS_PER_TEST, firstSeed + seeds - first);
    it(`seeds ${first}..${first + count - 1} x ${DEFAULT_STEPS} steps`, () => {
      const failure = firstFailure(first, count, { steps: DEFAULT_STEPS });
      expect(failure, describeResult(failure)).toBeNull();
    });
  }
}
