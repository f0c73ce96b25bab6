/**
 * What `RaftStorage.snapshot(atLeast)` hands the core, shared by the LevelDB log store and the
 * simulator's hosts so that the thousands of simulated runs exercise the same choice as real
 * nodes (src/sim/FINDINGS.md 7 was a difference between the two).
 *
 * A stored snapshot either carries its data (one received from a leader, a restored backup, the
 * simulator's compactions) or not (a compaction point whose data is the state machine itself). A
 * host that runs can export its state machine on demand (`exportFresh`; null while the core is
 * being built, before the host runs).
 */
import { logIndex } from '../lib/index.ts';
import type { LogIndex } from '../lib/index.ts';
import { SnapshotTemporarilyUnavailableError } from './errors.ts';
import type { Snapshot } from './types.ts';

export function chooseSnapshot(
  stored: Snapshot,
  atLeast: LogIndex | undefined,
  exportFresh: ((minIndex: LogIndex) => Snapshot) | null,
): Snapshot {
  const minIndex = logIndex(Math.max(stored.meta.index, atLeast ?? 0));
  const carriesData = stored.data.length > 0;
  // Recent enough for a node with no base (which needs everything committed: `atLeast`).
  if (stored.meta.index > 0 && carriesData && stored.meta.index >= minIndex) return stored;
  if (exportFresh !== null) return exportFresh(minIndex);
  // A compaction point without its data, and no host yet to export it: the core retries.
  if (stored.meta.index > 0 && !carriesData) throw new SnapshotTemporarilyUnavailableError();
  // The bootstrap (index 0): the core sends nothing and retries.
  return stored;
}
