/**
 * Child process for crash.test.ts: appends entries to a node store as fast as it can, printing
 * "<lastIndex> <term>" on stdout after each acknowledged (fsynced) save. Each run starts a new
 * term. Every SNAPSHOT_EVERY_ENTRIES it also commits the state, exports it, and compacts the log
 * behind a local snapshot, as the replica does. The parent kill -9's it at random moments.
 *
 * Usage: node --import tsx cluster/storage/crash-child.ts <dataDir>
 */
import { logIndex, nodeId, term } from '../../src/lib/index.ts';
import type { Entry } from '../../src/raft/types.ts';
import { openNodeStore } from '../../src/storage/index.ts';
import {
  CRASH_CLUSTER_ID,
  CRASH_NODE_ID,
  crashBootstrap,
  expectedEntryData,
} from './crash-common.ts';

const SNAPSHOT_EVERY_ENTRIES = 300;
const RETAIN_ENTRIES = 50;
const MAX_ENTRIES_PER_SAVE = 8;

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (dataDir === undefined) throw new Error('usage: crash-child.ts <dataDir>');
  const node = await openNodeStore({
    dataDir,
    clusterId: CRASH_CLUSTER_ID,
    nodeId: CRASH_NODE_ID,
    bootstrap: crashBootstrap,
  });
  const currentTerm = term(node.log.initialState().hardState.term + 1);
  process.stdout.write(`open ${node.log.lastIndex()} ${currentTerm}\n`);
  let next = node.log.lastIndex() + 1;
  let sinceSnapshot = 0;
  for (let round = 0; ; round++) {
    const count = 1 + (round % MAX_ENTRIES_PER_SAVE);
    const entries: Entry[] = [];
    for (let k = 0; k < count; k++) {
      const index = logIndex(next + k);
      entries.push({
        index,
        term: currentTerm,
        kind: 'normal',
        data: expectedEntryData(index, currentTerm),
      });
    }
    // Commit trails the log: what this save adds is not committed yet.
    await node.log.save({
      entries,
      hardState: { term: currentTerm, vote: nodeId(CRASH_NODE_ID), commit: logIndex(next - 1) },
    });
    next += count;
    process.stdout.write(`${next - 1} ${currentTerm}\n`);
    sinceSnapshot += count;
    if (sinceSnapshot >= SNAPSHOT_EVERY_ENTRIES) {
      sinceSnapshot = 0;
      const applied = logIndex(next - 1);
      const batch = node.state.beginBatch();
      batch.put('applied', new TextEncoder().encode(String(applied)));
      // The replica's compaction: the state commit is not synced, so the log may drop entries
      // only once makeDurable has put the state on disk for good (a kill can land anywhere here).
      void node.state.commit(batch, applied, { sync: false });
      await node.state.makeDurable();
      await node.log.compact(
        { index: applied, term: node.log.term(applied), conf: node.log.initialState().conf },
        RETAIN_ENTRIES,
      );
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
