import { describe, expect, it } from 'vitest';
import { runSeed } from './run.ts';

describe('one seed replays one exact run', () => {
  for (const seed of [7, 4242]) {
    it(`seed ${seed} twice gives the same history`, () => {
      const first = runSeed({ seed, steps: 3_000 });
      const second = runSeed({ seed, steps: 3_000 });
      expect(first.failure).toBeNull();
      expect(second.stats).toEqual(first.stats);
      expect(first.stats.elections).toBeGreaterThan(0);
      expect(first.stats.proposalsAcknowledged).toBeGreaterThan(0);
    });
  }

  it('different seeds give different histories', () => {
    const a = runSeed({ seed: 1, steps: 2_000 });
    const b = runSeed({ seed: 2, steps: 2_000 });
    expect(a.stats).not.toEqual(b.stats);
  });
});
