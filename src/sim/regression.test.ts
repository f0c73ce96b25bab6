import { describe, expect, it } from 'vitest';
import regression from './regression-seeds.json' with { type: 'json' };
import { runSeed } from './run.ts';
import { describeResult } from './seed-batch.ts';

describe('simulation regression seeds (every seed that ever failed)', () => {
  for (const entry of regression.seeds) {
    it(`seed ${entry.seed}: ${entry.note}`, () => {
      const result = runSeed({
        seed: entry.seed,
        steps: entry.steps,
        nodes: entry.nodes,
        profile: entry.profile,
      });
      expect(result.failure, describeResult(result)).toBeNull();
      expect(result.stats.steps).toBeGreaterThanOrEqual(entry.steps);
    });
  }
});
