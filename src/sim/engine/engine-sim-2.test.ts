import { describe, expect, it } from 'vitest';
import { runEngineSeed } from './run.ts';
import type { EngineRunResult } from './run.ts';

// Seeds 41..80; engine-sim.test.ts holds 1..40, so vitest's forks pool uses both cores.
const FIRST_SEED = 41;
const SEEDS = 40;
const CHUNK = 5;

function describeFailure(result: EngineRunResult): string {
  if (result.failure === null) return 'ok';
  return `seed ${result.seed}: ${result.failure.property}: ${result.failure.message}\n${result.failure.traceTail.join('\n')}\nreplay: ${result.replay}`;
}

describe('engine simulation: replicas agree after every entry, no task effect twice, convergence', () => {
  for (let first = FIRST_SEED; first < FIRST_SEED + SEEDS; first += CHUNK) {
    it(`seeds ${first}..${first + CHUNK - 1}`, async () => {
      for (let seed = first; seed < first + CHUNK; seed++) {
        const result = await runEngineSeed({ seed });
        expect(result.failure, describeFailure(result)).toBeNull();
        // The run did real work: every replica applied the commands, and state is not empty.
        expect(result.checks.applies).toBeGreaterThan(result.commands);
        expect(result.checks.finalApplied).toBeGreaterThan(0);
      }
    });
  }

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
