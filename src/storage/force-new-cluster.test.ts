import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import { decodeConfChange, encodeConfChange, RaftNode } from '../raft/index.ts';
import type { Entry } from '../raft/index.ts';
import { defaultConfig } from '../raft/testing/cluster.ts';
import { IDENTITY_FILE } from './data-dir.ts';
import { DataDirLockedError, DataDirMismatchError } from './errors.ts';
import { forceNewCluster, RecoveryRefusedError } from './force-new-cluster.ts';
import type { LevelLogStore } from './level-log-store.ts';
import { identityRecord, openNodeStore } from './node-store.ts';
import type { NodeStore } from './node-store.ts';
import { perTestCleanups } from './testing/temp-dir.ts';

const N1 = nodeId('n1');
const FOUNDERS = { voters: [N1, nodeId('n2'), nodeId('n3')], learners: [] };
const text = new TextEncoder();

function entry(index: number, entryTerm: number, kind: Entry['kind'], data: Uint8Array): Entry {
  return { index: logIndex(index), term: term(entryTerm), kind, data };
}

/**
 * n1's log after a 3-node cluster lost n2 and n3: entries 1-5, the last two past the commit index
 * n1 had recorded, with n4 added as a learner at 3.
 */
const SURVIVOR_LOG: Entry[] = [
  entry(1, 1, 'noop', new Uint8Array(0)),
  entry(2, 1, 'normal', text.encode('put a')),
  entry(3, 2, 'config', encodeConfChange({ type: 'addLearner', node: nodeId('n4') })),
  entry(4, 2, 'normal', text.encode('put b')),
  entry(5, 2, 'normal', text.encode('put c')),
];

describe('forceNewCluster', () => {
  const { dataDir, defer } = perTestCleanups();

  const open = (path: string, clusterId: string): Promise<NodeStore> =>
    openNodeStore({ dataDir: path, clusterId, nodeId: N1, bootstrap: FOUNDERS });

  /** A stopped member of cluster-a holding SURVIVOR_LOG, commit recorded at 3. */
  async function survivor(): Promise<string> {
    const path = await dataDir();
    const store = await open(path, 'cluster-a');
    await store.log.save({
      entries: SURVIVOR_LOG,
      hardState: { term: term(2), vote: nodeId('n2'), commit: logIndex(3) },
    });
    await store.close();
    return path;
  }

  async function identityFileCluster(path: string): Promise<unknown> {
    const parsed = JSON.parse(await readFile(join(path, IDENTITY_FILE), 'utf8')) as {
      clusterId: unknown;
    };
    return parsed.clusterId;
  }

  it('makes the node the only voter under a new cluster id, keeping and committing its whole log', async () => {
    const path = await survivor();
    const report = await forceNewCluster({ dataDir: path, newClusterId: 'cluster-b' });
    expect(report).toMatchObject({
      nodeId: 'n1',
      previousClusterId: 'cluster-a',
      newClusterId: 'cluster-b',
      previousMembers: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] },
      wasVoter: true,
      lastIndex: 5,
      lastTerm: 2,
      knownCommitted: 3,
      entriesCommittedByRecovery: 2,
      forcedIndex: 6,
      forcedTerm: 3,
      dryRun: false,
      finishedInterruptedRun: false,
    });
    expect(await identityFileCluster(path)).toBe('cluster-b');
    // The old identity no longer opens it (old members' flags, a stale unit file).
    await expect(open(path, 'cluster-a')).rejects.toBeInstanceOf(DataDirMismatchError);

    const store = await open(path, 'cluster-b');
    defer(() => store.close());
    expect(plain(store.log.entries(logIndex(1), logIndex(6), Infinity))).toEqual(
      plain(SURVIVOR_LOG),
    );
    const [forced] = store.log.entries(logIndex(6), logIndex(7), Infinity);
    expect(forced?.term).toBe(3);
    expect(decodeConfChange(forced!.data)).toEqual({ type: 'forceSoleVoter', node: 'n1' });
    expect(store.log.initialState().hardState).toEqual({ term: 3, vote: 'n1', commit: 6 });

    // The core, on this log alone: it is the only voter, elects itself and commits on its own.
    const raft = new RaftNode(defaultConfig(N1, store.log, 7));
    expect(raft.status().conf).toEqual({ voters: ['n1'], learners: [] });
    const committed = await runUntilLeader(raft, store.log);
    expect(raft.status()).toMatchObject({ role: 'leader', leader: 'n1' });
    expect(raft.status().term).toBeGreaterThan(3);
    // Everything the old log held comes out committed, the forced membership after it.
    expect(committed.map((e) => e.index).slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('writes nothing on a dry run, and reports what it would do', async () => {
    const path = await survivor();
    const report = await forceNewCluster({
      dataDir: path,
      newClusterId: 'cluster-b',
      dryRun: true,
    });
    expect(report).toMatchObject({ dryRun: true, forcedIndex: 6, forcedTerm: 3, lastIndex: 5 });
    expect(await identityFileCluster(path)).toBe('cluster-a');
    const store = await open(path, 'cluster-a');
    defer(() => store.close());
    expect(store.log.lastIndex()).toBe(5);
    expect(store.log.initialState().hardState.commit).toBe(3);
  });

  it('refuses, changing nothing: the same cluster id, a running node, a removed node, a joiner without data, no directory', async () => {
    const path = await survivor();
    await expect(forceNewCluster({ dataDir: path, newClusterId: 'cluster-a' })).rejects.toThrow(
      /must differ from the old one/,
    );

    const running = await open(path, 'cluster-a');
    await expect(
      forceNewCluster({ dataDir: path, newClusterId: 'cluster-b' }),
    ).rejects.toBeInstanceOf(DataDirLockedError);
    await running.markRemoved('{"learnedFrom":"own-log","index":9}');
    await running.close();
    await expect(forceNewCluster({ dataDir: path, newClusterId: 'cluster-b' })).rejects.toThrow(
      /was removed from the cluster .*recover from another member's directory/,
    );
    expect(await identityFileCluster(path)).toBe('cluster-a');

    const joiner = await dataDir();
    const empty = await openNodeStore({
      dataDir: joiner,
      clusterId: 'cluster-a',
      nodeId: N1,
      bootstrap: { voters: [], learners: [] },
    });
    await empty.close();
    await expect(forceNewCluster({ dataDir: joiner, newClusterId: 'cluster-b' })).rejects.toThrow(
      /never received the cluster's data/,
    );

    const missing = join(await dataDir(), 'nothing-here');
    const refusal = forceNewCluster({ dataDir: missing, newClusterId: 'cluster-b' });
    await expect(refusal).rejects.toBeInstanceOf(RecoveryRefusedError);
    await expect(refusal).rejects.toThrow(/not a Baton data directory/);
  });

  it('finishes a run that crashed between its batch and the identity file, and only with the same new id', async () => {
    const path = await survivor();
    // What a crash right after the synced batch leaves: the database forced and renamed, the
    // IDENTITY file still naming the old cluster. The node refuses to start on it either way.
    const store = await open(path, 'cluster-a');
    const renamed = store.log.carry([identityRecord({ clusterId: 'cluster-b', nodeId: 'n1' })]);
    await Promise.all([
      renamed,
      store.log.save({
        entries: [entry(6, 3, 'config', encodeConfChange({ type: 'forceSoleVoter', node: N1 }))],
        hardState: { term: term(3), vote: N1, commit: logIndex(6) },
      }),
    ]);
    await store.close();
    await expect(open(path, 'cluster-a')).rejects.toBeInstanceOf(DataDirMismatchError);
    await expect(open(path, 'cluster-b')).rejects.toBeInstanceOf(DataDirMismatchError);

    await expect(forceNewCluster({ dataDir: path, newClusterId: 'cluster-c' })).rejects.toThrow(
      /run it again with --new-cluster-id cluster-b/,
    );
    const report = await forceNewCluster({ dataDir: path, newClusterId: 'cluster-b' });
    expect(report).toMatchObject({
      finishedInterruptedRun: true,
      forcedIndex: 6,
      forcedTerm: 3,
      lastIndex: 5,
      previousMembers: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] },
    });
    expect(await identityFileCluster(path)).toBe('cluster-b');
    const finished = await open(path, 'cluster-b');
    defer(() => finished.close());
    expect(finished.log.lastIndex()).toBe(6);
  });

  it('forces again a directory that was forced before and has run since', async () => {
    const path = await survivor();
    await forceNewCluster({ dataDir: path, newClusterId: 'cluster-b' });
    const again = await forceNewCluster({ dataDir: path, newClusterId: 'cluster-c' });
    expect(again).toMatchObject({
      previousClusterId: 'cluster-b',
      previousMembers: { voters: ['n1'], learners: [] },
      lastIndex: 6,
      forcedIndex: 7,
      forcedTerm: 4,
      finishedInterruptedRun: false,
    });
  });
});

/** Entries with their payloads as plain arrays (LevelDB hands back Buffers). */
function plain(entries: readonly Entry[]): object[] {
  return entries.map((e) => ({ ...e, data: [...e.data] }));
}

/** Ticks and persists until the node leads and has committed its own no-op; returns what it committed. */
async function runUntilLeader(node: RaftNode, log: LevelLogStore): Promise<Entry[]> {
  const committed: Entry[] = [];
  for (let tick = 0; tick < 100; tick++) {
    node.tick();
    while (node.hasReady()) {
      const ready = node.ready();
      await log.save({ entries: ready.entries, hardState: ready.hardState });
      committed.push(...ready.committedEntries);
      node.advance(ready);
    }
    const status = node.status();
    if (status.role === 'leader' && status.commit > 6) return committed;
  }
  throw new Error(`no leadership after 100 ticks: ${JSON.stringify(node.status())}`);
}
