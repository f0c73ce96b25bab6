import { describe, expect, it } from 'vitest';
import { runEngineSeed } from './run.ts';
import type { EngineRunResult } from './run.ts';

// Seeds 41..80; engine-sim.test.ts holds 1..40, so vitest's forks pool uses both cores.
const FIRST_SEED = 41;
const SEEDS = 40;
const CHUNK = 10;

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
        // The run did real work: commands applied on every replica, task attempts closed.
        expect(result.checks.applies).toBeGreaterThan(result.commands);
        expect(result.checks.finalApplied).toBeGreaterThan(0);
      }
    });
  }
});
