/**
 * The arithmetic of a paired comparison (cluster/bench/pair.ts), kept apart so it is tested
 * without clusters.
 *
 * Each pair is one measured slice of A and one of B taken back to back, so the machine's drift
 * between them is small; a run gives one B/A ratio per pair. Two clusters of the same build
 * measured this way favour the one started second (4–11 % at concurrency 16–256 on the build
 * machine), so every comparison runs twice, A started first and then B started first, and the
 * two runs' geometric means are combined by their own geometric mean: a constant edge for the
 * second-started cluster multiplies one run's ratio and divides the other's, and cancels.
 */
import { median } from '../lib/stats.ts';

export interface PairRunSummary {
  /** Geometric mean of the run's per-pair B/A ratios. */
  geomean: number;
  /** Median of the run's per-pair B/A ratios. */
  median: number;
}

export function geometricMean(values: readonly number[]): number {
  if (values.length === 0 || values.some((v) => !(v > 0) || !Number.isFinite(v))) return Number.NaN;
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

export function summarizeRatios(ratios: readonly number[]): PairRunSummary {
  return { geomean: geometricMean(ratios), median: median(ratios) };
}

/** B/A with the start-order edge cancelled: both runs' ratios are B/A, whichever started first. */
export function combineOrders(aStartedFirst: number, bStartedFirst: number): number {
  return geometricMean([aStartedFirst, bStartedFirst]);
}
