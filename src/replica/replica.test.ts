import { afterEach, describe, expect, it } from 'vitest';
import { BatonError, nodeId } from '../lib/index.ts';
import { DiskSpaceCriticalError, DiskSpaceLowError, PendingProposalLimitError } from './errors.ts';
import { kvPut, readUserValue } from './kv-state-machine.ts';
import type { Replica } from './replica.ts';
import { TestCluster, waitFor } from './testing/cluster.ts';
import { parseStateSnapshot, StateTooLargeError, stateSnapshotIndex } from '../storage/index.ts';
import type { TestNode } from './testing/cluster.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

/** Puts through whichever node leads, retrying while leadership settles (UNAVAILABLE). */
async function put(cluster: TestCluster, key: string, value: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const leader = await cluster.leader();
    try {
      const { index } = await leader.replica.propose(kvPut(key, bytes(value)));
      return index;
    } catch (error) {
      if (attempt > 50 || !(error instanceof BatonError) || error.code !== 'UNAVAILABLE')
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function valueOn(replica: Replica, key: string): Promise<string | undefined> {
  return text(await readUserValue(replica.reader(), key));
}

async function waitApplied(cluster: TestCluster, index: number): Promise<void> {
  await waitFor(
    () => [...cluster.nodes.values()].every((n) => n.replica.appliedIndex() >= index),
    `every node to apply ${index}`,
  );
}

/** Whether the replica refuses a new client write for a voter's low disk. */
function refusesClientWrites(replica: Replica): boolean {
  try {
    replica.admitClientWrite();
    return false;
  } catch (error) {
    if (error instanceof DiskSpaceLowError) return true;
    throw error;
  }
}

/**
 * Stops a follower and wipes its disk, then writes `count` keys `<prefix><i>` until the leader has
 * compacted past where the follower was: restarted, it can only catch up from a snapshot.
 */
async function wipedFollowerBehind(
  cluster: TestCluster,
  prefix: string,
  count: number,
): Promise<{ follower: TestNode; index: number }> {
  await put(cluster, 'warm', 'up');
  const leader = await cluster.leader();
  const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
  await cluster.stopNode(follower.id);
  await cluster.wipe(follower.id);
  let index = 0;
  for (let i = 0; i < count; i++) index = await put(cluster, `${prefix}${i}`, String(i));
  await waitFor(
    async () => (await cluster.leader()).store.log.firstIndex() > 1,
    'the leader to compact its log',
  );
  return { follower, index };
}

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe('Replica: three nodes over MemoryTransport with LevelDB', () => {
  it('elects a leader, commits, and applies on every node', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    const index = await put(cluster, 'a', '1');
    await put(cluster, 'b', '2');
    const last = await put(cluster, 'a', '3');
    expect(last).toBeGreaterThan(index);
    await waitApplied(cluster, last);
    for (const node of cluster.nodes.values()) {
      expect(await valueOn(node.replica, 'a')).toBe('3');
      expect(await valueOn(node.replica, 'b')).toBe('2');
    }
  });

  it('serves a linearizable read on the leader and refuses it on a follower', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    const index = await put(cluster, 'k', 'v');
    const leader = await cluster.leader();
    const readIndex = await leader.replica.readBarrier();
    expect(readIndex).toBeGreaterThanOrEqual(index);
    expect(await valueOn(leader.replica, 'k')).toBe('v');
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    await expect(follower.replica.readBarrier()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      leaderHint: leader.id,
    });
    await expect(follower.replica.propose(kvPut('x', bytes('y')))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('group-commits concurrent proposals into few fsynced batches', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'warm', 'up');
    const leader = await cluster.leader();
    const before = { ...leader.replica.persistStats };
    const proposals = 500;
    const results = await Promise.all(
      Array.from({ length: proposals }, (_, i) =>
        leader.replica.propose(kvPut(`g${i}`, bytes(String(i)))),
      ),
    );
    const batches = leader.replica.persistStats.batches - before.batches;
    const entries = leader.replica.persistStats.entries - before.entries;
    expect(entries).toBeGreaterThanOrEqual(proposals);
    // One fsync per proposal would be 500 batches; proposals arriving during a write share the next one.
    expect(batches).toBeLessThanOrEqual(proposals / 10);
    expect(new Set(results.map((r) => r.index)).size).toBe(proposals);
  });

  it('writes applied state to LevelDB once the log goes quiet, with no log write to carry it', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    const index = await put(cluster, 'quiet', 'then written');
    await waitApplied(cluster, index);
    const nodes = [...cluster.nodes.values()];
    const logWrites = nodes.map((n) => n.replica.persistStats.batches);
    // State batches wait for the next log write; none comes, so the tick must write them alone.
    // The state store's applied index moves only when a batch is in LevelDB.
    await waitFor(
      () => nodes.every((n) => n.store.state.appliedIndex() >= index),
      'every node to write its applied state',
    );
    expect(nodes.map((n) => n.replica.persistStats.batches)).toEqual(logWrites);
  });

  it('exports the state at one log position for a backup, while writes go on; a state too large is refused, not fatal', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    const written = await put(cluster, 'before', 'backup');
    const leader = await cluster.leader();
    await waitApplied(cluster, written);
    const writes = Array.from({ length: 50 }, (_, i) =>
      leader.replica.propose(kvPut(`during${i}`, bytes('x'))),
    );
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const [onLeader, onFollower] = await Promise.all([
      leader.replica.exportState(),
      follower.replica.exportState(),
    ]);
    const indexes = (await Promise.all(writes)).map((result) => result.index);
    for (const [node, snapshot] of [
      [leader, onLeader],
      [follower, onFollower],
    ] as const) {
      expect(snapshot.meta.index).toBeGreaterThanOrEqual(written);
      expect(snapshot.meta.term).toBe(node.store.log.term(snapshot.meta.index));
      expect(snapshot.meta.conf.voters).toHaveLength(3);
      // The data is the state at exactly that index: its header says so, and it holds exactly
      // the writes at or before it.
      expect(stateSnapshotIndex(snapshot.data)).toBe(snapshot.meta.index);
      const keys = parseStateSnapshot(snapshot.data).records.map(([key]) => text(key) ?? '');
      expect(keys).toContain('kv/before');
      expect(keys.filter((key) => key.startsWith('kv/during')).length).toBe(
        indexes.filter((index) => index <= snapshot.meta.index).length,
      );
    }

    const state = follower.store.state;
    state.exportSnapshot = () => Promise.reject(new StateTooLargeError(1));
    await expect(follower.replica.exportState()).rejects.toBeInstanceOf(StateTooLargeError);
    // Still running: it applies what comes next.
    const after = await put(cluster, 'after', 'refusal');
    await waitApplied(cluster, after);
    expect(await valueOn(follower.replica, 'after')).toBe('refusal');
  });

  it('refuses proposals past the pending limit with RESOURCE_EXHAUSTED', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], { replica: { maxPendingProposals: 10 } });
    await put(cluster, 'warm', 'up');
    const leader = await cluster.leader();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => leader.replica.propose(kvPut(`p${i}`, bytes('x')))),
    );
    const rejected: unknown[] = outcomes.flatMap((o): unknown[] =>
      o.status === 'rejected' ? [o.reason as unknown] : [],
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    expect(rejected).toHaveLength(40);
    for (const reason of rejected) {
      expect(reason).toBeInstanceOf(PendingProposalLimitError);
      expect((reason as BatonError).code).toBe('RESOURCE_EXHAUSTED');
    }
  });

  it('refuses client writes while a voter is low on disk, learns it from its messages, and ignores learners', async () => {
    // Learners are checked for promotion once a minute: the one added below stays a learner.
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { promoteIntervalMs: 60_000 },
    });
    await put(cluster, 'warm', 'up');
    const leader = await cluster.leader();
    const follower = [...cluster.nodes.values()].find((node) => node !== leader)!;
    const MIB = 1024 * 1024;
    follower.replica.setLocalStorage({
      diskLow: true,
      diskCritical: false,
      diskFreeBytes: 120 * MIB,
    });
    // The leader hears it with the follower's next message (a heartbeat response at the latest).
    await waitFor(() => {
      try {
        leader.replica.admitClientWrite();
        return false;
      } catch (error) {
        return error instanceof DiskSpaceLowError;
      }
    }, 'the leader to refuse client writes');
    let refusal: unknown;
    try {
      leader.replica.admitClientWrite();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DiskSpaceLowError);
    expect((refusal as DiskSpaceLowError).code).toBe('RESOURCE_EXHAUSTED');
    expect((refusal as DiskSpaceLowError).voters).toEqual([
      { id: follower.id, freeBytes: 120 * MIB },
    ]);
    expect((refusal as Error).message).toContain(`voter ${follower.id} (120.0 MiB free)`);
    expect(leader.replica.members().find((m) => m.id === follower.id)).toMatchObject({
      diskLow: true,
      diskFreeBytes: 120 * MIB,
    });
    // The work already in the cluster goes on: admission is the API's check, not the log's.
    await put(cluster, 'internal', 'still commits');

    follower.replica.setLocalStorage({
      diskLow: false,
      diskCritical: false,
      diskFreeBytes: 900 * MIB,
    });
    await waitFor(() => {
      try {
        leader.replica.admitClientWrite();
        return true;
      } catch {
        return false;
      }
    }, 'the leader to admit client writes again');
    expect(leader.replica.members().every((m) => !m.diskLow)).toBe(true);

    // A learner is not a voter: its volume does not stop the cluster's writes.
    const n4 = nodeId('n4');
    const learner = await cluster.startNode(n4, { join: true });
    learner.replica.setLocalStorage({ diskLow: true, diskCritical: false, diskFreeBytes: 1 * MIB });
    const current = await cluster.leader();
    await current.replica.addNode(n4, TestCluster.address(n4));
    await waitFor(
      () => current.replica.members().find((m) => m.id === n4)?.diskLow === true,
      'the leader to hear the low learner',
    );
    expect(current.replica.members().find((m) => m.id === n4)?.voter).toBe(false);
    expect(() => {
      current.replica.admitClientWrite();
    }).not.toThrow();
  });

  it('refuses every write but essential ones while a voter reports itself critical, and takes them once it is only low', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'warm', 'up');
    const leader = await cluster.leader();
    const follower = [...cluster.nodes.values()].find((node) => node !== leader)!;
    const MIB = 1024 * 1024;
    const heardAt = (freeMib: number) => () =>
      leader.replica.members().find((m) => m.id === follower.id)?.diskFreeBytes === freeMib * MIB;
    follower.replica.setLocalStorage({
      diskLow: true,
      diskCritical: true,
      diskFreeBytes: 40 * MIB,
    });
    await waitFor(heardAt(40), 'the leader to hear 40 MiB');
    expect(leader.replica.members().find((m) => m.id === follower.id)?.diskCritical).toBe(true);

    const refused = await leader.replica
      .propose(kvPut('task', bytes('result')))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DiskSpaceCriticalError);
    expect((refused as DiskSpaceCriticalError).code).toBe('RESOURCE_EXHAUSTED');
    expect((refused as Error).message).toContain(
      `voter ${follower.id} (40.0 MiB free) is below its storage.criticalFreeDiskBytes, the last reserve`,
    );
    expect(() => {
      leader.replica.admitClientWrite();
    }).toThrow(DiskSpaceCriticalError);
    // Membership and retention pruning pass: they are how an operator makes room.
    await leader.replica.propose(kvPut('essential', bytes('passes')), { essential: true });
    await waitFor(
      async () => (await leader.metrics.storageCriticalVoters.get()).values[0]?.value === 1,
      'baton_storage_critical_voters to read 1',
    );
    expect((await leader.metrics.writesRefusedDiskCritical.get()).values[0]?.value).toBe(1);
    expect(cluster.warnings.map((w) => w.msg)).toContain(
      `voter data volumes below storage.criticalFreeDiskBytes (${follower.id}: 40.0 MiB free): this node refuses every write but membership and retention pruning while it leads`,
    );

    // Whatever the free space, the node's own monitor decides (hysteresis included).
    follower.replica.setLocalStorage({
      diskLow: true,
      diskCritical: true,
      diskFreeBytes: 70 * MIB,
    });
    await waitFor(heardAt(70), 'the leader to hear 70 MiB');
    await expect(leader.replica.propose(kvPut('task', bytes('result')))).rejects.toBeInstanceOf(
      DiskSpaceCriticalError,
    );
    // Only low: the work already admitted goes on.
    follower.replica.setLocalStorage({
      diskLow: true,
      diskCritical: false,
      diskFreeBytes: 100 * MIB,
    });
    await waitFor(heardAt(100), 'the leader to hear 100 MiB');
    await leader.replica.propose(kvPut('task', bytes('result')));
    expect(leader.replica.members().find((m) => m.id === follower.id)?.diskCritical).toBe(false);
    expect(refusesClientWrites(leader.replica)).toBe(true);
  });

  it('keeps a caught-up learner low on disk a learner, and promotes it once it has room', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'warm', 'up');
    const n4 = nodeId('n4');
    const learner = await cluster.startNode(n4, { join: true });
    learner.replica.setLocalStorage({
      diskLow: true,
      diskCritical: false,
      diskFreeBytes: 5 * 1024 * 1024,
    });
    const leader = await cluster.leader();
    await leader.replica.addNode(n4, TestCluster.address(n4));
    const held = `${n4} has caught up but stays a learner while its data volume is low (5.00 MiB free): as a voter it would hold back every client write`;
    await waitFor(
      () => cluster!.warnings.some((w) => w.msg === held && w.node === leader.id),
      'the leader to hold the promotion back',
    );
    expect(learner.replica.appliedIndex()).toBeGreaterThanOrEqual(
      leader.replica.status().commit - 1,
    );
    // Many promotion checks later it is still a learner, and writes are still admitted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(leader.replica.members().find((m) => m.id === n4)).toMatchObject({
      voter: false,
      diskLow: true,
    });
    expect(refusesClientWrites(leader.replica)).toBe(false);
    expect(cluster.warnings.filter((w) => w.msg === held)).toHaveLength(1);

    learner.replica.setLocalStorage({
      diskLow: false,
      diskCritical: false,
      diskFreeBytes: 900 * 1024 * 1024,
    });
    await waitFor(
      () => leader.replica.members().find((m) => m.id === n4)?.voter === true,
      'the learner to be promoted',
    );
  });

  it('lets a low voter that went quiet stop holding writes back, and counts it again when it is back', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'warm', 'up');
    const leader = await cluster.leader();
    const low = [...cluster.nodes.values()].find((node) => node !== leader)!;
    const MIB = 1024 * 1024;
    low.replica.setLocalStorage({ diskLow: true, diskCritical: false, diskFreeBytes: 3 * MIB });
    await waitFor(() => refusesClientWrites(leader.replica), 'the leader to refuse client writes');
    expect((await leader.metrics.storageLowVoters.get()).values[0]?.value).toBe(1);

    // Down, it receives no entries: its volume cannot fill, and two voters of three go on.
    await cluster.stopNode(low.id);
    await waitFor(
      () => !refusesClientWrites(leader.replica),
      'the leader to admit writes without it',
    );
    expect(leader.replica.members().find((m) => m.id === low.id)?.diskLow).toBe(false);
    // The gauge follows at the next tick.
    await waitFor(
      async () => (await leader.metrics.storageLowVoters.get()).values[0]?.value === 0,
      'baton_storage_low_voters to drop to 0',
    );
    expect(cluster.warnings.map((w) => w.msg)).toContain(
      `${low.id} reported its data volume low but has gone quiet: client writes no longer wait for it`,
    );
    await put(cluster, 'while', 'it is down');
    // The leader's status says it is silent, past an election timeout.
    expect(leader.replica.members().find((m) => m.id === low.id)!.silentMs).toBeGreaterThan(150);
    expect(leader.replica.members().find((m) => m.id === leader.id)!.silentMs).toBe(0);
    // And so does its gauge, for Prometheus to alert on; the live follower's stays near 0.
    const silent = (await leader.metrics.peerSilent.get()).values;
    const live = [...cluster.nodes.values()].find((n) => n !== leader)!;
    expect(silent.find((v) => v.labels.peer === low.id)?.value).toBeGreaterThan(1);
    expect(silent.find((v) => v.labels.peer === live.id)?.value).toBeLessThan(1);

    // Back, still low: its first messages hold writes back again.
    const back = await cluster.startNode(low.id);
    back.replica.setLocalStorage({ diskLow: true, diskCritical: false, diskFreeBytes: 2 * MIB });
    const current = await cluster.leader();
    await waitFor(() => refusesClientWrites(current.replica), 'writes to be refused again');
    expect(current.replica.members().find((m) => m.id === low.id)).toMatchObject({
      diskLow: true,
      diskFreeBytes: 2 * MIB,
      silentMs: 0,
    });
  });

  it('says why leadership moved: which peers went quiet, seen from the followers and the cut-off leader', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'before', 'cut');
    const oldLeader = await cluster.leader();
    cluster.network.isolate(oldLeader.id);
    const followers = [...cluster.nodes.keys()].filter((id) => id !== oldLeader.id);
    await waitFor(
      () =>
        cluster!.warnings.some(
          (w) => w.node === oldLeader.id && w.msg.startsWith('stepping down'),
        ) &&
        cluster!.warnings.some(
          (w) => followers.includes(w.node as never) && w.msg.startsWith('no word from leader'),
        ),
      'the old leader to step down and a follower to start an election',
    );
    // 30 ticks of 5 ms: both sides waited at least one election timeout before acting.
    const electionTimeoutMs = 150;
    const stepDown = cluster.warnings.find(
      (w) => w.node === oldLeader.id && w.msg.startsWith('stepping down'),
    )!;
    expect(stepDown.msg).toContain('no quorum');
    const leaderView = (stepDown['contact'] as { peers: Record<string, { heardMsAgo: number }> })
      .peers;
    expect(Object.keys(leaderView).sort()).toEqual([...followers].sort());
    for (const id of followers)
      expect(leaderView[id]!.heardMsAgo).toBeGreaterThanOrEqual(electionTimeoutMs);
    const election = cluster.warnings.find(
      (w) => followers.includes(w.node as never) && w.msg.startsWith('no word from leader'),
    )!;
    expect(election.msg).toContain(`leader ${oldLeader.id}`);
    const followerView = election['contact'] as {
      peers: Record<string, { heardMsAgo: number }>;
      maxTickGapMs: number;
    };
    expect(followerView.peers[oldLeader.id]!.heardMsAgo).toBeGreaterThanOrEqual(electionTimeoutMs);
    const otherFollower = followers.find((id) => id !== election.node)!;
    expect(Object.keys(followerView.peers).sort()).toEqual([oldLeader.id, otherFollower].sort());
    expect(followerView.maxTickGapMs).toBeGreaterThan(0);
    cluster.network.heal();
  });

  it('rides out a disk stall on every node without an election: Raft time stands still while a log write hangs', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'before', 'stall');
    const leader = await cluster.leader();
    const term = leader.replica.status().term;
    cluster.disk.stall();
    const during = leader.replica.propose(kvPut('during', bytes('stall')));
    // Every log write hangs for several election timeouts (150–300 ms each).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // What the stall must not cause, checked before it ends: the real writes that follow take
    // their own time, and on a loaded machine a leader whose fsync then outlasts an election
    // timeout is rightly replaced by followers whose writes finished (as etcd's would be).
    const duringStall = cluster.warnings.map((w) => `${w.node}: ${w.msg}`);
    const terms = [...cluster.nodes.values()].map((node) => node.replica.status().term);
    cluster.disk.resume();
    expect(terms).toEqual([term, term, term]);
    expect(duringStall.filter((m) => /election|stepping down/.test(m))).toEqual([]);
    // Every node was waiting on the write of the new entry, and said so.
    for (const id of cluster.nodes.keys()) {
      expect(duringStall).toContain(
        `${id}: the log write is stalled (slow disk); Raft time stands still until it completes`,
      );
    }
    const outcome = await during.then(
      ({ index }) => index,
      (error: unknown) => error,
    );
    if (typeof outcome !== 'number') expect(outcome).toBeInstanceOf(BatonError);
    await waitApplied(cluster, await put(cluster, 'after', 'stall'));
    const messages = cluster.warnings.map((w) => `${w.node}: ${w.msg}`);
    for (const id of cluster.nodes.keys()) {
      expect(messages).toContain(`${id}: the stalled log write completed; Raft time runs again`);
    }
  });

  it('fails over when the leader stops, and the old leader catches up on restart', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'before', '1');
    const old = await cluster.leader();
    await cluster.stopNode(old.id);
    const index = await put(cluster, 'after', '2');
    const successor = await cluster.leader();
    expect(successor.id).not.toBe(old.id);
    const restarted = await cluster.startNode(old.id);
    await waitFor(() => restarted.replica.appliedIndex() >= index, 'the old leader to catch up');
    expect(await valueOn(restarted.replica, 'before')).toBe('1');
    expect(await valueOn(restarted.replica, 'after')).toBe('2');
  });

  it('restarts every node from disk with its state and keeps going', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    for (let i = 0; i < 20; i++) await put(cluster, `r${i}`, String(i));
    const index = await put(cluster, 'last', 'x');
    await waitApplied(cluster, index);
    const ids = [...cluster.nodes.keys()];
    for (const id of ids) await cluster.stopNode(id);
    for (const id of ids) await cluster.startNode(id);
    for (const id of ids) {
      const node = cluster.node(id);
      expect(node.replica.appliedIndex()).toBeGreaterThanOrEqual(index);
      expect(await valueOn(node.replica, 'r7')).toBe('7');
    }
    const next = await put(cluster, 'again', 'y');
    expect(next).toBeGreaterThan(index);
  });

  it('snapshots, compacts, and installs a snapshot on a wiped follower', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { snapshotEveryEntries: 40, snapshotRetainEntries: 5 },
    });
    const { follower, index } = await wipedFollowerBehind(cluster, 's', 120);
    const exported = async (node: TestNode): Promise<number> =>
      (await node.metrics.snapshotsExported.get()).values[0]?.value ?? 0;
    // Compaction copied nothing: no node exported its state while no follower needed it.
    for (const node of cluster.nodes.values()) expect(await exported(node)).toBe(0);
    const fresh = await cluster.startNode(follower.id);
    await waitFor(() => fresh.replica.appliedIndex() >= index, 'the wiped follower to catch up');
    expect(await fresh.metrics.snapshotsInstalled.get()).toMatchObject({ values: [{ value: 1 }] });
    // One export, by whichever node led when the follower asked (leadership may move under load).
    let exports = 0;
    for (const node of cluster.nodes.values()) if (node !== fresh) exports += await exported(node);
    expect(exports).toBe(1);
    expect(await valueOn(fresh.replica, 's3')).toBe('3');
    expect(await valueOn(fresh.replica, 's119')).toBe('119');
  });

  it('exports the state once for a follower, however often the core asks while the export runs', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { snapshotEveryEntries: 40, snapshotRetainEntries: 5 },
    });
    const { follower, index } = await wipedFollowerBehind(cluster, 'e', 60);
    const before = cluster.disk.exportsStarted;
    cluster.disk.stallExports();
    const fresh = await cluster.startNode(follower.id);
    await waitFor(() => cluster!.disk.exportsStarted > before, 'the leader to start an export');
    // Held for ten heartbeats: the core asks for the snapshot again on every probe meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 500));
    cluster.disk.resumeExports();
    await waitFor(() => fresh.replica.appliedIndex() >= index, 'the wiped follower to catch up');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cluster.disk.exportsStarted - before).toBe(1);
    expect(await fresh.metrics.snapshotsInstalled.get()).toMatchObject({ values: [{ value: 1 }] });
  });

  it('compacts behind a durable state: the stored snapshot holds no copy, and a restart resumes from the state', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { snapshotEveryEntries: 10, snapshotRetainEntries: 2 },
    });
    let index = 0;
    for (let i = 0; i < 35; i++) index = await put(cluster, `k${i}`, 'x'.repeat(500));
    await waitFor(
      () => [...cluster!.nodes.values()].every((n) => n.store.log.firstIndex() > 20),
      'every node to compact',
    );
    for (const node of cluster.nodes.values()) {
      expect(node.store.log.snapshotIsInState()).toBe(true);
      expect(node.store.log.storedSnapshot().data).toHaveLength(0);
    }
    const leader = await cluster.leader();
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    await cluster.stopNode(follower.id);
    const restarted = await cluster.startNode(follower.id);
    expect(restarted.replica.appliedIndex()).toBeGreaterThanOrEqual(
      restarted.store.log.storedSnapshot().meta.index,
    );
    const next = await put(cluster, 'after', 'restart');
    expect(next).toBeGreaterThan(index);
    await waitFor(() => restarted.replica.appliedIndex() >= next, 'the restarted node to apply');
    expect(await valueOn(restarted.replica, 'k0')).toBe('x'.repeat(500));
  });

  it('members compact at different indexes, a third of the interval apart', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { snapshotEveryEntries: 30, snapshotRetainEntries: 2 },
    });
    let index = 0;
    while (index < 100) index = await put(cluster, `c${index}`, 'x');
    await waitApplied(cluster, index);
    // Phases 0, 10 and 20 of 30 (compaction-schedule.ts); an apply run may overshoot a point by
    // an entry or two, never by the 10 that would let two members compact together.
    const points = [...cluster.nodes.values()].map((n) => n.store.log.storedSnapshot().meta.index);
    for (const point of points) expect(point).toBeGreaterThanOrEqual(index - 30);
    const sorted = [...points].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(5);
  });

  it('adds a node as a learner, promotes it once caught up, and removes it', async () => {
    // Compacting often: the new node must still get a snapshot that names it.
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { snapshotEveryEntries: 5, snapshotRetainEntries: 2 },
    });
    for (let i = 0; i < 10; i++) await put(cluster, `m${i}`, String(i));
    await waitFor(
      async () => (await cluster!.leader()).store.log.firstIndex() > 1,
      'the leader to compact its log',
    );
    const n4 = nodeId('n4');
    const joiner = await cluster.startNode(n4, { join: true });
    const leader = await cluster.leader();
    await leader.replica.addNode(n4, TestCluster.address(n4));
    await waitFor(
      () => leader.replica.status().conf.voters.includes(n4),
      'n4 to be promoted to voter',
    );
    const index = await put(cluster, 'with4', 'yes');
    await waitFor(() => joiner.replica.appliedIndex() >= index, 'n4 to apply');
    expect(await valueOn(joiner.replica, 'm3')).toBe('3');
    expect(joiner.replica.status().conf.voters).toHaveLength(4);
    const current = await cluster.leader();
    if (current.id === n4) await current.replica.transferLeadership();
    const remover = await cluster.leader();
    await remover.replica.removeNode(n4);
    expect(remover.replica.status().conf.voters).not.toContain(n4);
    expect(remover.replica.members().map((m) => m.id)).not.toContain(n4);
    await put(cluster, 'after-remove', 'ok');
  });

  it('starts a joining node from a snapshot even when the leader never compacted, so it holds the real membership', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'before', '1');
    const n4 = nodeId('n4');
    await cluster.startNode(n4, { join: true });
    await (await cluster.leader()).replica.addNode(n4, TestCluster.address(n4));
    await waitFor(
      async () => (await cluster!.leader()).replica.status().conf.voters.includes(n4),
      'n4 to be promoted to voter',
    );
    await (await cluster.leader()).replica.removeNode(n4);
    await cluster.stopNode(n4);
    await cluster.wipe(n4);
    await put(cluster, 'between', '2');

    // Added again while it is down, then a member that never compacted leads: its log still starts
    // at index 1. Replayed from there, the new n4 would start from no membership at all (it joins
    // knowing none) and end up the lone voter of its own cluster, and would replay its earlier
    // incarnation's removal and stop.
    const adder = await cluster.leader();
    await adder.replica.addNode(n4, TestCluster.address(n4));
    const uncompacted = [...cluster.nodes.values()].find(
      (n) => n.id !== adder.id && n.store.log.firstIndex() === 1,
    )!;
    await adder.replica.transferLeadership(uncompacted.id);
    await waitFor(() => uncompacted.replica.isLeader(), 'the uncompacted member to lead');
    const again = await cluster.startNode(n4, { join: true });
    await waitFor(
      async () => (await cluster!.leader()).replica.status().conf.voters.includes(n4),
      'n4 to be promoted to voter again',
    );
    const index = await put(cluster, 'after', '3');
    await waitFor(() => again.replica.appliedIndex() >= index, 'n4 to apply');
    expect(uncompacted.store.log.firstIndex()).toBe(1);
    expect(again.store.log.firstIndex()).toBeGreaterThan(1);
    const conf = (await cluster.leader()).replica.status().conf;
    expect(again.replica.status().conf).toEqual(conf);
    expect([...conf.voters].sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(again.replica.removedFromCluster()).toBeNull();
    expect(await valueOn(again.replica, 'between')).toBe('2');
  });

  it('takes back a member whose disk was wiped, started with --join, from a snapshot', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    for (let i = 0; i < 20; i++) await put(cluster, `w${i}`, String(i));
    const leader = await cluster.leader();
    const wiped = [...cluster.nodes.values()].find((n) => n.id !== leader.id)!.id;
    await cluster.stopNode(wiped);
    await cluster.wipe(wiped);
    await put(cluster, 'while-down', 'x');
    const again = await cluster.startNode(wiped, { join: true });
    const index = await put(cluster, 'after', 'y');
    await waitFor(() => again.replica.appliedIndex() >= index, `${wiped} to apply`);
    expect(again.replica.status().conf).toEqual(leader.replica.status().conf);
    expect(await valueOn(again.replica, 'w7')).toBe('7');
    // Installed and durable in the state: the log store keeps no copy of the data.
    expect(again.store.log.snapshotIsInState()).toBe(true);
    expect(again.store.log.storedSnapshot().data).toHaveLength(0);
    await cluster.stopNode(wiped);
    const restarted = await cluster.startNode(wiped);
    expect(await valueOn(restarted.replica, 'while-down')).toBe('x');
  });

  it('queues membership changes made back to back instead of failing them', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'warm', 'up');
    const added = [nodeId('n4'), nodeId('n5')];
    for (const id of added) await cluster.startNode(id, { join: true });
    const leader = await cluster.leader();
    // The second change is proposed while the first (and the promotions) may be uncommitted.
    await Promise.all(added.map((id) => leader.replica.addNode(id, TestCluster.address(id))));
    await waitFor(
      () => added.every((id) => leader.replica.status().conf.voters.includes(id)),
      'both new nodes to be promoted',
    );
    const index = await put(cluster, 'five', 'voters');
    await waitApplied(cluster, index);
    for (const id of added) expect(await valueOn(cluster.node(id).replica, 'warm')).toBe('up');
  });

  it('transfers leadership to a named node and to the most caught-up voter', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'warm', 'up');
    const leader = await cluster.leader();
    const target = [...cluster.nodes.keys()].find((id) => id !== leader.id)!;
    expect(await leader.replica.transferLeadership(target)).toBe(target);
    const next = await cluster.leader();
    expect(next.id).toBe(target);
    const chosen = await next.replica.transferLeadership();
    expect(chosen).not.toBe(target);
    await put(cluster, 'after', 'transfer');
  });

  it('stops the whole cluster at once without waiting out the hand-off timeout', async () => {
    // A timeout far beyond the test's own: waiting it out would fail the test.
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { shutdownTransferTimeoutMs: 60_000 },
    });
    await put(cluster, 'before', 'stop');
    await Promise.all(
      [...cluster.nodes.keys()].map((id) => cluster!.stopNode(id, { transfer: true })),
    );
    expect(cluster.nodes.size).toBe(0);
    expect(cluster.warnings.filter((w) => w.msg.includes('did not complete'))).toEqual([]);
  });

  it('hands off leadership on graceful stop', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    await put(cluster, 'warm', 'up');
    const leader = await cluster.leader();
    await cluster.stopNode(leader.id, { transfer: true });
    const next = await cluster.leader();
    expect(next.id).not.toBe(leader.id);
    await put(cluster, 'after', 'stop');
  });
});
