/**
 * Durable replicas, shown with real `baton server` processes, real gRPC and real LevelDB on
 * loopback: crashes, wiped disks, membership changes and graceful shutdown lose no acknowledged
 * write. The scenarios run one after another in this one file so that only one cluster competes
 * for the machine's cores at a time.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BatonClient,
  checkAcknowledgedOn,
  ProcessCluster,
  scrapeMetric,
  waitUntil,
  WriteLoad,
  type ClusterOptions,
} from './lib/index.ts';

const SCENARIO_TIMEOUT_MS = 120_000;

let cluster: ProcessCluster | undefined;

async function startCluster(options: Partial<ClusterOptions> = {}): Promise<ProcessCluster> {
  cluster = await ProcessCluster.start({ size: 3, ...options });
  return cluster;
}

afterEach(async () => {
  // Crash-stop: a graceful stop of every node at once only waits out leadership transfers.
  cluster?.killAllNow();
  await cluster?.shutdown();
  cluster = undefined;
});

function startLoad(client: BatonClient, keyPrefix: string, concurrency = 16): WriteLoad {
  return new WriteLoad({
    put: (key, value) => client.put(key, value),
    concurrency,
    keyPrefix,
    recordAcknowledged: true,
  }).start();
}

/** A client that retries UNAVAILABLE on every member: it rides out a leadership change. */
function retryingClient(c: ProcessCluster): BatonClient {
  return new BatonClient({
    endpoints: [...c.members].map((id) => c.address(id)),
    retry: { retryableCodes: [grpc.status.UNAVAILABLE], retryAttemptTimeouts: false },
  });
}

function expectNoFailedWrite(result: Awaited<ReturnType<WriteLoad['stop']>>): void {
  expect({ failed: result.failedCount, samples: result.failureSamples.map(String) }).toEqual({
    failed: 0,
    samples: [],
  });
}

/** Waits until the load has `count` more acknowledged writes than now. */
async function moreAcknowledged(load: WriteLoad, count: number): Promise<void> {
  const target = load.acknowledgedSoFar + count;
  await waitUntil(
    `${count} more acknowledged writes`,
    () => load.acknowledgedSoFar >= target,
    60_000,
  );
}

/** Every acknowledged write is applied, byte for byte, on each of `ids`. */
async function expectAcknowledgedEverywhere(
  c: ProcessCluster,
  ids: readonly string[],
  acknowledged: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  await c.waitForConvergence(ids, 60_000);
  for (const id of ids) {
    const discrepancies = await checkAcknowledgedOn(c.client, c.address(id), acknowledged);
    expect({
      node: id,
      discrepancies: discrepancies.slice(0, 5),
      count: discrepancies.length,
    }).toEqual({
      node: id,
      discrepancies: [],
      count: 0,
    });
  }
}

describe('a cluster of real processes', () => {
  it(
    'loses no acknowledged write when the leader is killed under load, and the old leader catches up',
    async () => {
      const c = await startCluster();
      const oldLeader = await c.waitForLeader();
      const load = startLoad(c.client, 'kill');
      await moreAcknowledged(load, 300);

      await c.kill(oldLeader.id);
      const newLeader = await c.waitForLeader(30_000, oldLeader.id);
      await moreAcknowledged(load, 300);
      await load.stop();

      expect(newLeader.id).not.toBe(oldLeader.id);
      const survivors = c.runningMembers();
      expect(survivors).toHaveLength(2);
      await expectAcknowledgedEverywhere(c, survivors, load.acknowledged);

      await c.restart(oldLeader.id);
      const commitIndex = await c.waitForConvergence([...c.members], 60_000);
      const restarted = await c.client.statusOf(c.address(oldLeader.id));
      expect(restarted.appliedIndex).toBeGreaterThanOrEqual(commitIndex);
      await expectAcknowledgedEverywhere(c, [oldLeader.id], load.acknowledged);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'brings a node whose data directory was wiped back through a snapshot',
    async () => {
      // Default settings: nobody has compacted yet (10,000 entries apart), so every log still
      // starts at index 1. The wiped node, started with --join, knows no membership; replayed
      // from index 1 it would keep none. It must be sent a snapshot of the state instead.
      const c = await startCluster();
      const leader = await c.waitForLeader();
      const load = startLoad(c.client, 'wipe', 8);
      await moreAcknowledged(load, 300);

      const follower = [...c.members].find((id) => id !== leader.id)!;
      await c.kill(follower);
      c.wipe(follower);
      await moreAcknowledged(load, 300);
      await c.restart(follower, { join: true });
      await moreAcknowledged(load, 200);
      await load.stop();

      await expectAcknowledgedEverywhere(c, [...c.members], load.acknowledged);
      const installed = await scrapeMetric(
        c.node(follower).spec.metricsAddress,
        'baton_raft_snapshots_installed_total',
      );
      expect(installed).toBeGreaterThanOrEqual(1);
      const own = await c.client.statusOf(c.address(follower));
      expect(own.members.map((m) => [m.id, m.voter]).sort()).toEqual(
        [...c.members].sort().map((id) => [id, true]),
      );

      // Now it leads, still holding that snapshot (no compaction since), and the other follower
      // loses its disk too: the new leader must export a newer state for it (FINDINGS 7).
      await c.client.transferLeadership(follower);
      expect((await c.waitForLeader()).id).toBe(follower);
      const other = [...c.members].find((id) => id !== leader.id && id !== follower)!;
      const more = startLoad(c.client, 'wipe-again', 8);
      await moreAcknowledged(more, 200);
      await c.kill(other);
      c.wipe(other);
      await c.restart(other, { join: true });
      await moreAcknowledged(more, 200);
      await more.stop();
      await expectAcknowledgedEverywhere(
        c,
        [...c.members],
        new Map([...load.acknowledged, ...more.acknowledged]),
      );
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'grows from 3 to 5 voters and shrinks back to 3 under load without losing a write',
    async () => {
      const c = await startCluster();
      const original = [...c.members];
      const load = startLoad(c.client, 'grow', 8);
      await moreAcknowledged(load, 200);

      const added = [await c.addNode(), await c.addNode()];
      await waitUntil('5 voters', async () => {
        const status = (await c.waitForLeader()).status;
        return status.members.filter((member) => member.voter).length === 5;
      });
      await moreAcknowledged(load, 200);
      await expectAcknowledgedEverywhere(c, added, load.acknowledged);

      // Remove two original followers: the data must now live on the nodes that joined.
      for (let removals = 0; removals < 2; removals++) {
        const leader = await c.waitForLeader();
        const follower = original.find((id) => id !== leader.id && c.members.has(id))!;
        await c.removeNode(follower);
        await moreAcknowledged(load, 100);
      }
      await load.stop();

      const members = (await c.waitForLeader()).status.members.map((member) => member.id).sort();
      expect(members).toHaveLength(3);
      expect(members).toEqual([...c.members].sort());
      expect(members).toEqual(expect.arrayContaining(added));
      await expectAcknowledgedEverywhere(c, [...c.members], load.acknowledged);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'removing the leader hands leadership off first; the removed node finds out, stops by itself and refuses its old data',
    async () => {
      const c = await startCluster();
      const id = await c.addNode();
      await waitUntil(`${id} promoted to voter`, async () =>
        (await c.waitForLeader()).status.members.some((m) => m.id === id && m.voter),
      );
      const client = retryingClient(c);
      try {
        const load = startLoad(client, 'removed', 4);
        await moreAcknowledged(load, 50);

        // Removed through the API only, while it leads: nobody transfers leadership or stops it.
        const oldLeader = (await c.waitForLeader()).id;
        await c.removeNode(oldLeader, { stop: false });
        const newLeader = await c.waitForLeader(30_000, oldLeader);
        expect(newLeader.status.members.map((m) => m.id)).not.toContain(oldLeader);
        const exit = await c.node(oldLeader).waitForExit(30_000);
        expect(exit).toEqual({ code: 0, signal: null });
        const log = c.node(oldLeader).logTail();
        expect(log).toContain('leadership handed off, removal forwarded');
        expect(log).toContain(`this node (${oldLeader}) was removed from cluster ${c.clusterId}`);
        expect(log).toContain('"reason":"removal from the cluster"');

        // The cluster goes on without it, and no write failed on the way.
        await moreAcknowledged(load, 50);
        const result = await load.stop();
        expectNoFailedWrite(result);
        // Restarted on its old data it refuses, saying what to do.
        const refused = await c.startRefused(oldLeader);
        expect(refused.code, c.node(oldLeader).logTail()).not.toBe(0);
        // Refused from what it recorded when it found out, before talking to anyone.
        expect(c.node(oldLeader).logTail()).toMatch(
          new RegExp(
            `node ${oldLeader} was removed from cluster ${c.clusterId} \\(recorded when it found out: .*wipe the data directory`,
          ),
        );
        await expectAcknowledgedEverywhere(c, [...c.members], load.acknowledged);
      } finally {
        client.close();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'recovers from a lost quorum with force-new-cluster: nothing acknowledged is lost, an old member cannot interfere, new members join',
    async () => {
      const c = await startCluster();
      const leader = (await c.waitForLeader()).id;
      const [survivor, lost] = [...c.members].filter((id) => id !== leader) as [string, string];
      const load = startLoad(c.client, 'lost', 8);
      await moreAcknowledged(load, 200);
      // Once `lost` is gone every commit needs the survivor, and a commit covers every entry
      // before it: after one more commit the survivor holds every write acknowledged so far.
      await c.kill(lost);
      await moreAcknowledged(load, 200);
      // Now the leader too, with writes in flight: the survivor's log may end past its commit.
      await c.kill(leader);
      await load.stop();
      // No quorum, no leader to give a read index: a backup then needs --without-leader, and
      // says what it may lack.
      const file = join(c.baseDir, 'lost-quorum.backup');
      const noLeader = await c.runCli(['backup', 'save', file, '-e', c.address(survivor)]);
      expect(noLeader.code).not.toBe(0);
      expect(noLeader.stderr).toContain('--without-leader');
      const anyway = await c.runCli([
        'backup',
        'save',
        file,
        '--without-leader',
        '-e',
        c.address(survivor),
      ]);
      expect(anyway.code, anyway.stderr).toBe(0);
      expect(anyway.stdout).toContain(
        'without a leader: writes acknowledged elsewhere may be missing',
      );
      await c.kill(survivor);
      c.wipe(lost);

      const dryRun = await c.forceNewCluster(survivor, 'test-2', { dryRun: true });
      expect(dryRun.code, dryRun.stderr).toBe(0);
      expect(dryRun.stdout).toContain('dry run: nothing written');
      const refused = await c.forceNewCluster(survivor, c.clusterId);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('must differ from the old one');
      const forced = await c.forceNewCluster(survivor, 'test-2');
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toContain(`done: ${survivor} the only voter`);
      const before = /members +voters ([^;]+);/.exec(forced.stdout)?.[1]?.split(' ');
      expect(before?.sort()).toEqual([leader, lost, survivor].sort());

      await c.restart(survivor);
      const recovered = await c.waitForLeader();
      expect(recovered.id).toBe(survivor);
      expect(recovered.status.clusterId).toBe('test-2');
      expect(recovered.status.members.map((m) => [m.id, m.voter])).toEqual([[survivor, true]]);
      await expectAcknowledgedEverywhere(c, [survivor], load.acknowledged);

      // The old leader was not lost after all: back on its old data under the old cluster id, it
      // can neither vote with, lead nor truncate the recovered node, which keeps its term.
      const termBefore = (await c.client.statusOf(c.address(survivor))).term;
      await c.restart(leader, { clusterId: 'test' });
      const after = startLoad(c.client, 'recovered', 4);
      await moreAcknowledged(after, 100);
      const old = await c.client.statusOf(c.address(leader));
      expect({ cluster: old.clusterId, leader: old.leaderId }).toEqual({
        cluster: 'test',
        leader: '',
      });
      const now = await c.client.statusOf(c.address(survivor));
      expect({ role: now.role, term: now.term }).toEqual({ role: 'leader', term: termBefore });
      await c.kill(leader);
      c.wipe(leader);

      // New members join the recovered cluster the usual way.
      const joined = [await c.addNode(), await c.addNode()];
      await waitUntil('3 voters', async () => {
        const status = (await c.waitForLeader()).status;
        return status.members.filter((member) => member.voter).length === 3;
      });
      await moreAcknowledged(after, 100);
      await after.stop();
      const acknowledged = new Map([...load.acknowledged, ...after.acknowledged]);
      await expectAcknowledgedEverywhere(c, [survivor, ...joined], acknowledged);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'saves a backup through the CLI while writes go on, and restores it as a new cluster: every write acknowledged before it is there, later ones are not',
    async () => {
      const c = await startCluster();
      await c.waitForLeader();
      const before = startLoad(c.client, 'before', 8);
      await moreAcknowledged(before, 300);
      await before.stop();
      // No wait for the followers to catch up: the CLI asks for the read index first, and the
      // node that serves the backup must have applied it, so every write acknowledged so far is in.

      const during = startLoad(c.client, 'during', 4);
      const file = join(c.baseDir, 'state.backup');
      const saved = await c.runCli(['backup', 'save', file, '-e', c.endpoints().join(',')]);
      await during.stop();
      expect(saved.code, saved.stderr).toBe(0);
      expect(saved.stdout).toMatch(/^saved .* cluster "test" at index \d+ \(term \d+\)/);
      await c.client.put('after-backup', new TextEncoder().encode('x'));
      const inspected = await c.runCli(['backup', 'inspect', file]);
      expect(inspected.stdout).toContain('checksums verified');

      // Every data directory is lost; n1 comes back from the file alone.
      for (const id of [...c.members]) await c.kill(id);
      const restored = await c.restoreBackup('n1', file, 'test-restored');
      expect(restored.code, restored.stderr).toBe(0);
      await c.restart('n1');
      const leader = await c.waitForLeader();
      expect({ id: leader.id, cluster: leader.status.clusterId }).toEqual({
        id: 'n1',
        cluster: 'test-restored',
      });
      await expectAcknowledgedEverywhere(c, ['n1'], before.acknowledged);
      expect((await c.client.get('after-backup')).found).toBe(false);

      // It grows back the usual way, and takes writes.
      const joined = [await c.addNode(), await c.addNode()];
      await waitUntil('3 voters', async () => {
        const status = (await c.waitForLeader()).status;
        return status.members.filter((member) => member.voter).length === 3;
      });
      const after = startLoad(c.client, 'after', 4);
      await moreAcknowledged(after, 100);
      await after.stop();
      const acknowledged = new Map([...before.acknowledged, ...after.acknowledged]);
      await expectAcknowledgedEverywhere(c, ['n1', ...joined], acknowledged);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'hands leadership off on SIGTERM without failing a single write',
    async () => {
      const c = await startCluster();
      const oldLeader = await c.waitForLeader();
      const client = retryingClient(c);
      try {
        const load = startLoad(client, 'term', 8);
        await moreAcknowledged(load, 300);

        await c.stop(oldLeader.id);
        const newLeader = await c.waitForLeader(30_000, oldLeader.id);
        await moreAcknowledged(load, 300);
        const result = await load.stop();

        expect(c.node(oldLeader.id).exitInfo).toEqual({ code: 0, signal: null });
        expect(newLeader.id).not.toBe(oldLeader.id);
        expectNoFailedWrite(result);
        expect(
          [...client.stats.retriesByCode.keys()].filter((code) => code !== 'UNAVAILABLE'),
        ).toEqual([]);
        await expectAcknowledgedEverywhere(c, c.runningMembers(), load.acknowledged);
      } finally {
        client.close();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );
});
