import { describe } from 'vitest';
import { itRunsSeeds } from './seed-batch.ts';

// npm test runs 2,000 seeds x 2,000 steps in four files; this one holds seeds 1501..2000.
describe('simulation: every safety invariant after every step, then liveness', () => {
  itRunsSeeds(1501, 500);
});
