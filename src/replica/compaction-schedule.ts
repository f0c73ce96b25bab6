/**
 * When a node compacts its log: every `every` applied entries, at a phase of its own.
 *
 * A compaction makes the state store durable by flushing LevelDB's memtable into a table file
 * and then deletes the log behind it: tens of milliseconds of disk writes and CPU on that node.
 * Every node applies the same entries, so with one rule for all ("every N entries since the
 * last") the members compact at the same index, within a millisecond of each other, and for
 * those milliseconds no quorum has a quiet disk: in `npm run bench -- raft` at concurrency 64,
 * the 3 % of writes that overlapped a compaction had twice the median latency and made a tenth of
 * the p99. Spread over the interval by their rank in the membership, at most one member compacts
 * at a time and the other two still form a quorum.
 */
import type { NodeId } from '../lib/index.ts';
import type { ConfState } from '../raft/types.ts';

/**
 * The offset of this node's compaction points within each interval of `every` entries: members
 * sorted by id take evenly spaced phases. A node not (yet) in the membership takes phase 0.
 */
export function compactionPhase(self: NodeId, conf: ConfState, every: number): number {
  const members = [...conf.voters, ...conf.learners].sort();
  const rank = members.indexOf(self);
  if (rank <= 0) return 0;
  return Math.floor((rank * every) / members.length);
}

/**
 * The bytes of applied entries that trigger a compaction before `every` entries do (large
 * entries), spread like the phases over half the limit: the members start compacting at
 * different points, and each counts anew from its own compaction, so they stay apart.
 */
export function compactionByteLimit(maxBytes: number, phase: number, every: number): number {
  return Math.floor(maxBytes * (1 - phase / (2 * every)));
}

/**
 * True once `applied` has passed one of this node's compaction points (indexes `phase` modulo
 * `every`) since the last compaction, and at least half an interval has gone by: when the phase
 * moves (the membership changed), one compaction comes late instead of one extra coming early.
 */
export function compactionDue(
  applied: number,
  lastCompacted: number,
  every: number,
  phase: number,
): boolean {
  if (applied - lastCompacted < Math.ceil(every / 2)) return false;
  return Math.floor((applied - phase) / every) > Math.floor((lastCompacted - phase) / every);
}
