import { describe, expect, it } from 'vitest';
import { BUG_HUNT, BUG_NAMES } from './schedule.ts';
import { firstFailure } from './seed-batch.ts';

/**
 * The checker must be shown to catch bugs: with each deliberate core bug switched on, the
 * simulator finds a violation within a bounded number of seeds (each bug's hunt profile makes
 * the fatal interleaving likely; see BUG_HUNT in schedule.ts).
 */
const MAX_SEEDS_TO_CATCH = 40;

describe('the simulator catches each deliberately broken core', () => {
  for (const bug of BUG_NAMES) {
    it(`${bug}: a safety violation within ${MAX_SEEDS_TO_CATCH} seeds (${BUG_HUNT[bug].profile} profile)`, () => {
      const caught = firstFailure(1, MAX_SEEDS_TO_CATCH, { bug });
      expect(caught, `no violation found with ${bug} on`).not.toBeNull();
      expect(caught!.failure!.invariant).not.toBe('Liveness');
      expect(caught!.failure!.invariant).not.toBe('Unexpected Error');
    });
  }
});

describe('the simulator catches a deliberately broken host', () => {
  it('a host that answers reads from local state without ReadIndex serves stale reads', () => {
    const caught = firstFailure(1, MAX_SEEDS_TO_CATCH, {
      profile: 'leaderChurn',
      hostBugs: { staleLocalReads: true },
    });
    expect(caught, 'no stale read found').not.toBeNull();
    expect(caught!.failure!.invariant).toBe('Linearizable Read');
  });
});
