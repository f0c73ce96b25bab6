/**
 * The engine simulation's seed-range suite, shared by the test files that split the seeds between
 * them (so vitest's forks pool runs them on both cores).
 */
import { expect, it } from 'vitest';
import { runEngineSeed } from './run.ts';
import type { EngineRunResult } from './run.ts';

export const SEEDS_PER_TEST = 5;

export function describeFailure(result: EngineRunResult): string {
  if (result.failure === null) return 'ok';
  return `seed ${result.seed}: ${result.failure.property}: ${result.failure.message}\n${result.failure.traceTail.join('\n')}\nreplay: ${result.replay}`;
}

/** Registers one test per SEEDS_PER_TEST seeds in [firstSeed, firstSeed + seeds). */
export function itRunsSeeds(firstSeed: number, seeds: number): void {
  for (let first = firstSeed; first < firstSeed + seeds; first += SEEDS_PER_TEST) {
    const last = Math.min(first + SEEDS_PER_TEST, firstSeed + seeds) - 1;
    it(`seeds ${first}..${last}`, async () => {
      for (let seed = first; seed <= last; seed++) {
        const result = await runEngineSeed({ seed });
        expect(result.failure, describeFailure(result)).toBeNull();
        // The run did real work: every replica applied the commands, and state is not empty.
        expect(result.checks.applies).toBeGreaterThan(result.commands);
        expect(result.checks.finalApplied).toBeGreaterThan(0);
      }
    });
  }
}
