import { describe, expect, it } from 'vitest';
import { nodeId } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import type { ConfState } from '../raft/types.ts';
import { compactionByteLimit, compactionDue, compactionPhase } from './compaction-schedule.ts';

const ids = (...names: string[]): NodeId[] => names.map(nodeId);
const conf = (voters: string[], learners: string[] = []): ConfState => ({
  voters: ids(...voters),
  learners: ids(...learners),
});

/** Applies entries one at a time from `from` to `to`, compacting whenever due, as the replica does. */
function compactionPoints(
  from: number,
  to: number,
  every: number,
  phaseAt: (applied: number) => number,
  lastCompacted = from,
): number[] {
  const points: number[] = [];
  let last = lastCompacted;
  for (let applied = from + 1; applied <= to; applied++) {
    if (compactionDue(applied, last, every, phaseAt(applied))) {
      points.push(applied);
      last = applied;
    }
  }
  return points;
}

describe('compaction schedule', () => {
  it('spreads the members of a cluster evenly over the interval, whatever the order of their ids', () => {
    const three = conf(['n3', 'n1', 'n2']);
    expect(ids('n1', 'n2', 'n3').map((id) => compactionPhase(id, three, 9_000))).toEqual([
      0, 3_000, 6_000,
    ]);
    const five = conf(['a', 'b', 'c'], ['d', 'e']);
    expect(ids('a', 'b', 'c', 'd', 'e').map((id) => compactionPhase(id, five, 10_000))).toEqual([
      0, 2_000, 4_000, 6_000, 8_000,
    ]);
    expect(compactionPhase(nodeId('stranger'), three, 9_000)).toBe(0);
    expect(compactionPhase(nodeId('n2'), three, 1)).toBe(0);
  });

  it('compacts each member once per interval, and never two members within a third of one another', () => {
    const members = conf(['n1', 'n2', 'n3']);
    const every = 10_000;
    const schedules = ids('n1', 'n2', 'n3').map((id) =>
      compactionPoints(0, 100_000, every, () => compactionPhase(id, members, every)),
    );
    // From a fresh log the first compaction waits half an interval; from then on, the phases.
    const steady = schedules.map((points) => points.filter((point) => point >= every));
    for (const points of steady) {
      expect(points.length).toBeGreaterThanOrEqual(9);
      for (let i = 1; i < points.length; i++) expect(points[i]! - points[i - 1]!).toBe(every);
    }
    const all = steady.flat().sort((a, b) => a - b);
    for (let i = 1; i < all.length; i++)
      expect(all[i]! - all[i - 1]!).toBeGreaterThanOrEqual(3_333);
  });

  it('spreads the byte limit of large entries over its upper half, by the same phases', () => {
    const members = conf(['n1', 'n2', 'n3']);
    const limits = ids('n1', 'n2', 'n3').map((id) =>
      compactionByteLimit(64 * 1024 * 1024, compactionPhase(id, members, 9_000), 9_000),
    );
    expect(limits[0]).toBe(64 * 1024 * 1024);
    expect(new Set(limits).size).toBe(3);
    for (const limit of limits) expect(limit).toBeGreaterThan(32 * 1024 * 1024);
  });

  it('with one member, or an interval of 1, behaves as "every N entries"', () => {
    expect(compactionPoints(0, 50, 10, () => 0)).toEqual([10, 20, 30, 40, 50]);
    expect(compactionPoints(0, 5, 1, () => 0)).toEqual([1, 2, 3, 4, 5]);
  });

  it('when the membership moves its phase, waits at least half an interval before the next compaction', () => {
    // A phase of 3_000 that becomes 6_000 right after the compaction at 13_000: the point at
    // 16_000 has passed when half an interval is up, at 18_000; then every 10_000 again.
    const moved = compactionPoints(0, 40_000, 10_000, (applied) =>
      applied <= 13_000 ? 3_000 : 6_000,
    );
    expect(moved).toEqual([5_000, 13_000, 18_000, 26_000, 36_000]);
  });

  it('counts from the last compaction point, so a restarted node keeps its phase', () => {
    const before = compactionPoints(0, 30_000, 10_000, () => 3_000);
    expect(before).toEqual([5_000, 13_000, 23_000]);
    expect(compactionPoints(23_000, 50_000, 10_000, () => 3_000)).toEqual([33_000, 43_000]);
  });
});
