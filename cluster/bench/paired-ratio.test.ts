import { describe, expect, it } from 'vitest';
import { median } from '../lib/stats.ts';
import { combineOrders, geometricMean, summarizeRatios } from './paired-ratio.ts';

describe('paired ratios', () => {
  it('cancels a constant edge of the cluster started second', () => {
    // B is truly 5 % faster; the second-started cluster gets a further 10 %.
    const truth = 1.05;
    const edge = 1.1;
    const aFirst = truth * edge; // B started second
    const bFirst = truth / edge; // A started second
    expect(combineOrders(aFirst, bFirst)).toBeCloseTo(truth, 10);
  });

  it('summarizes a run by geometric mean and median', () => {
    expect(geometricMean([2, 8])).toBeCloseTo(4, 10);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarizeRatios([0.5, 2])).toEqual({ geomean: 1, median: 1.25 });
  });

  it('is NaN for no data or a ratio that is not a positive number', () => {
    expect(geometricMean([])).toBeNaN();
    expect(geometricMean([1, 0])).toBeNaN();
    expect(geometricMean([1, Number.NaN])).toBeNaN();
    expect(median([])).toBeNaN();
  });
});
