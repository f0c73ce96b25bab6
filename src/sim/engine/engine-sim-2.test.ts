import { describe, expect, it } from 'vitest';
import { runEngineSeed } from './run.ts';
import { describeFailure, itRunsSeeds } from './seed-suite.ts';

// Seeds 41..80; engine-sim.test.ts holds 1..40, so vitest's forks pool uses both cores.

describe('engine simulation: replicas agree after every entry, no task effect twice, convergence', () => {
  itRunsSeeds(41, 40);

  // Long runs get workflows to their ends (completed, compensated, failed, timed out), and reuse
  // workflow ids on the way (FINDINGS.md 1 was found that way).
  it('long runs: 2 seeds x 1,000 commands with workflow id reuse', async () => {
    for (const seed of [500, 501]) {
      const result = await runEngineSeed({ seed, commands: 1_000 });
      expect(result.failure, describeFailure(result)).toBeNull();
      expect(Object.keys(result.checks.finalStatuses).length).toBeGreaterThan(2);
    }
  });
});
