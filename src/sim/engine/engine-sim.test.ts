import { describe, expect, it } from 'vitest';
import { ENGINE_BUG_NAMES } from './engine-bugs.ts';
import { runEngineSeed } from './run.ts';
import { describeFailure, itRunsSeeds } from './seed-suite.ts';

// Seeds 1..40 here and 41..80 in engine-sim-2.test.ts, so vitest's forks pool uses both cores.

describe('engine simulation: replicas agree after every entry, no task effect twice, convergence', () => {
  itRunsSeeds(1, 40);

  it('replays a seed exactly', async () => {
    const a = await runEngineSeed({ seed: 7, commands: 120 });
    const b = await runEngineSeed({ seed: 7, commands: 120 });
    expect(a.failure).toBeNull();
    expect({ ...b.checks, faults: b.faults, ticks: b.ticks }).toEqual({
      ...a.checks,
      faults: a.faults,
      ticks: a.ticks,
    });
  });

  it('exercises duplicates, stale attempts and rejections across seeds', async () => {
    let duplicates = 0;
    let rejections = 0;
    let closed = 0;
    let historiesChecked = 0;
    for (let seed = 101; seed < 104; seed++) {
      const result = await runEngineSeed({ seed, commands: 200 });
      expect(result.failure, describeFailure(result)).toBeNull();
      duplicates += result.checks.duplicateCompletions;
      rejections += result.checks.rejections;
      closed += result.checks.completions;
      historiesChecked += result.checks.completedHistoriesChecked;
    }
    expect(duplicates).toBeGreaterThan(0);
    expect(rejections).toBeGreaterThan(0);
    expect(closed).toBeGreaterThan(0);
    expect(historiesChecked).toBeGreaterThan(0);
  });

  // Each deliberately broken engine must be caught, by the property that names its fault.
  const expectedProperty = {
    nondeterministicWrite: 'Same State',
    writeOnRejection: 'Rejection Is Pure',
    completeTwice: 'Exactly Once',
  } as const;
  for (const bug of ENGINE_BUG_NAMES) {
    it(`catches the ${bug} engine bug`, async () => {
      let caught: string | null = null;
      for (let seed = 1; seed <= 5 && caught === null; seed++) {
        const result = await runEngineSeed({ seed, engineBug: bug });
        caught = result.failure?.property ?? null;
        if (caught !== null) expect(result.replay).toContain(`--engine-bug ${bug}`);
      }
      expect(caught).toBe(expectedProperty[bug]);
    });
  }

  // FINDINGS.md 1 (fixed): a worker's result for a lease of an earlier run of a reused workflow id
  // completed the new run's task (20053, top level) or was taken for a duplicate of the old run's
  // close of a child's task (9001), and a later prune threw. Ids now carry their run.
  it('regression: a stale result from an earlier run of a reused workflow id is rejected (seed 20053)', async () => {
    const result = await runEngineSeed({ seed: 20053 });
    expect(result.failure, describeFailure(result)).toBeNull();
    expect(result.checks.applies).toBeGreaterThan(result.commands);
  });

  it('regression: reused ids with children, 2,000 commands (seed 9001)', async () => {
    const result = await runEngineSeed({ seed: 9001, commands: 2_000 });
    expect(result.failure, describeFailure(result)).toBeNull();
    expect(result.checks.applies).toBeGreaterThan(result.commands);
  });
});
