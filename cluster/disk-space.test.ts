/**
 * A voter whose data volume runs low on space, on three real `baton server` processes: the
 * cluster refuses new client writes (through the CLI, as a user meets it) instead of running on
 * until that voter's disk fills and it stops; reads and the nodes go on; a new leader knows too;
 * while the low voter is down the two others take writes, and it holds them back again once it is
 * back; a node added meanwhile stays a learner; and writes resume by themselves, and the learner
 * is promoted, once there is room.
 *
 * Below its last reserve the same voter stops every write but membership and pruning — a task a
 * worker completes too — until it is back above it.
 *
 * No volume is filled for real: node n3 is told to keep free all but 200 MiB of what its volume
 * has now (its last reserve: all but 450 MiB), and ballast files on the same volume take it below
 * (300 MiB: low; 250 MiB more: critical); deleting them gives the room back. The margins are
 * wide because other tests write to the same volume meanwhile.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeBytesAt } from '../src/storage/index.ts';
import { ProcessCluster } from './lib/cluster.ts';
import { scrapeMetric } from './lib/metrics.ts';
import { sleep } from './lib/stats.ts';

const MIB = 1024 * 1024;
const HEADROOM_BYTES = 200 * MIB;
const CRITICAL_HEADROOM_BYTES = 450 * MIB;
const BALLAST_BYTES = 300 * MIB;
const CRITICAL_BALLAST_BYTES = 250 * MIB;
const LOW_NODE = 'n3';
/** Joins as a learner while the ballast is there, on the same volume with the same minimum. */
const LOW_LEARNER = 'n4';
const ORDER_SAGA = new URL('../src/engine/definition/examples/order-saga.yaml', import.meta.url)
  .pathname;
const WAIT_CEILING_MS = 30_000;
const ORDER = (id: string): string =>
  JSON.stringify({
    orderId: id,
    items: [{ sku: 'sku-1', quantity: 1 }],
    amount: 5,
    cardToken: 't',
  });

function writeBallast(path: string, bytes: number): void {
  // Real blocks (not a sparse file), written in pieces so no large buffer is held.
  const chunk = Buffer.alloc(16 * MIB, 1);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

async function eventually<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

describe('a voter low on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'baton-disk-space-'));
  const ballast = join(root, 'ballast');
  const criticalBallast = join(root, 'ballast-critical');
  let cluster: ProcessCluster | null = null;

  afterAll(async () => {
    await cluster?.shutdown();
    rmSync(root, { recursive: true, force: true });
  });

  it('stops new client writes with a clear error; reads, a new leader and then writes carry on', async () => {
    const free = await freeBytesAt(root);
    const needed = BALLAST_BYTES + CRITICAL_BALLAST_BYTES + 256 * MIB;
    if (free < needed) {
      throw new Error(
        `this test needs ${needed / MIB} MiB free in ${root}; ${Math.floor(free / MIB)} MiB are`,
      );
    }
    cluster = await ProcessCluster.start({
      size: 3,
      clusterId: 'disk-space',
      baseDir: join(root, 'cluster'),
      nodeEnv: Object.fromEntries(
        [LOW_NODE, LOW_LEARNER].map((id) => [
          id,
          {
            BATON_STORAGE_MIN_FREE_DISK_BYTES: String(free - HEADROOM_BYTES),
            BATON_STORAGE_CRITICAL_FREE_DISK_BYTES: String(free - CRITICAL_HEADROOM_BYTES),
            BATON_STORAGE_DISK_CHECK_INTERVAL_MS: '100',
          },
        ]),
      ),
    });
    const c = cluster;
    let leader = await c.waitForLeader();
    // The leader must learn of n3's volume from n3's messages, not from its own monitor.
    if (leader.id === LOW_NODE) {
      await c.client.transferLeadership('n1');
      leader = await c.waitForLeader(WAIT_CEILING_MS, LOW_NODE);
    }
    const cli = (...args: string[]) => c.runCli([...args, '-e', c.endpoints().join(',')]);
    expect((await cli('kv', 'put', 'before', 'v0')).code).toBe(0);
    expect((await cli('definition', 'register', ORDER_SAGA)).code).toBe(0);
    // Admitted before the disk runs low: its first task is ready for a worker.
    expect(
      (await cli('workflow', 'start', 'order-saga', '--id', 'o-0', '--input', ORDER('o-0'))).code,
    ).toBe(0);

    writeBallast(ballast, BALLAST_BYTES);
    const refused = await eventually('a put to be refused', async () => {
      const result = await cli('kv', 'put', 'during', 'v1');
      return result.code === 0 ? undefined : result;
    });
    expect(refused.stderr).toMatch(/RESOURCE_EXHAUSTED/);
    expect(refused.stderr).toContain(`voter ${LOW_NODE} (`);
    expect(refused.stderr).toContain('storage.minFreeDiskBytes');
    // Workflows a client starts are new work too; reads are not writes.
    const start = await cli('workflow', 'start', 'order-saga', '--input', ORDER('o-1'));
    expect(start.code).not.toBe(0);
    expect(start.stderr).toContain('storage.minFreeDiskBytes');
    const read = await cli('kv', 'get', 'before');
    expect(read.code).toBe(0);
    expect(read.stdout).toContain('v0');
    expect(await scrapeMetric(c.node(LOW_NODE).spec.metricsAddress, 'baton_storage_low')).toBe(1);
    // An operator sees which member it is in `baton cluster status` on the leader.
    const status = await c.runCli(['cluster', 'status', '-e', c.address(leader.id)]);
    // A follower's view says where the whole picture is.
    const follower = ['n1', 'n2'].find((id) => id !== leader.id)!;
    const followerView = await c.runCli(['cluster', 'status', '-e', c.address(follower)]);
    expect(followerView.stdout).toContain(
      `the other members' disk reports are on the leader: baton cluster status -e ${c.address(leader.id)})`,
    );
    expect(status.stdout).toMatch(
      new RegExp(`${LOW_NODE} .* LOW ON DISK \\(.+ free; client writes refused\\)`),
    );
    // A node added now catches up but stays a learner: as a voter it would hold writes back too.
    expect(await c.addNode()).toBe(LOW_LEARNER);
    await eventually('the low learner to catch up', async () => {
      const shown = (await c.runCli(['cluster', 'status', '-e', c.address(leader.id)])).stdout;
      return new RegExp(
        `${LOW_LEARNER} .* learner  match [1-9]\\d* +LOW ON DISK \\(.+ free; not promoted until it has room\\)`,
      ).test(shown)
        ? shown
        : undefined;
    });
    const leaderMetrics = c.node(leader.id).spec.metricsAddress;
    expect(await scrapeMetric(leaderMetrics, 'baton_storage_low_voters')).toBe(1);
    expect(
      await scrapeMetric(leaderMetrics, 'baton_api_writes_refused_disk_low_total'),
    ).toBeGreaterThan(0);

    // Low only: the work already admitted goes on — a worker leases the saga's first task.
    const activated = await cli(
      'task',
      'activate',
      'inventory.reserve',
      '--wait-ms',
      '5000',
      '--json',
    );
    expect(activated.code).toBe(0);
    const [task] = (
      JSON.parse(activated.stdout) as { tasks: { taskId: string; attempt: number }[] }
    ).tasks;
    expect(task).toBeDefined();

    // Below its last reserve: every write waits, the worker's result too.
    writeBallast(criticalBallast, CRITICAL_BALLAST_BYTES);
    const complete = () =>
      cli(
        'task',
        'complete',
        task!.taskId,
        String(task!.attempt),
        '--output',
        '{"reservationId":"r-1"}',
      );
    // The leader shows it once n3's report has reached it; from then on the result is refused.
    await eventually('the leader to show the voter critical', async () => {
      const view = (await c.runCli(['cluster', 'status', '-e', c.address(leader.id)])).stdout;
      return new RegExp(
        `${LOW_NODE} .* LOW ON DISK \\(.+ free; CRITICAL: every write refused but membership and pruning\\)`,
      ).test(view)
        ? view
        : undefined;
    });
    const refusedCritical = await complete();
    expect(refusedCritical.code).not.toBe(0);
    expect(refusedCritical.stderr).toMatch(/RESOURCE_EXHAUSTED/);
    expect(refusedCritical.stderr).toContain(
      `every write is refused: the data volume of voter ${LOW_NODE} (`,
    );
    expect(refusedCritical.stderr).toContain('storage.criticalFreeDiskBytes');
    // A client's new write says how far it has gone too.
    const putWhileCritical = await cli('kv', 'put', 'during', 'v-critical');
    expect(putWhileCritical.code).not.toBe(0);
    expect(putWhileCritical.stderr).toContain('storage.criticalFreeDiskBytes');
    expect(await scrapeMetric(leaderMetrics, 'baton_storage_critical_voters')).toBe(1);
    expect(await scrapeMetric(c.node(LOW_NODE).spec.metricsAddress, 'baton_storage_low')).toBe(1);
    rmSync(criticalBallast);
    await eventually('the task result to be taken', async () => {
      const result = await complete();
      return result.code === 0 ? result : undefined;
    });
    expect(await scrapeMetric(leaderMetrics, 'baton_storage_critical_voters')).toBe(0);

    // A new leader knows as well: it hears n3's report with n3's first message to it.
    await c.kill(leader.id);
    const next = await c.waitForLeader(WAIT_CEILING_MS, leader.id);
    const refusedByNext = await cli('kv', 'put', 'during', 'v2');
    expect(refusedByNext.code).not.toBe(0);
    expect(refusedByNext.stderr).toContain(`voter ${LOW_NODE} (`);
    await c.restart(leader.id);
    c.checkNoCrash();
    // And the low voter itself, leading, refuses on its own account.
    if (next.id !== LOW_NODE) {
      await c.client.transferLeadership(LOW_NODE);
      expect((await c.waitForLeader(WAIT_CEILING_MS, next.id)).id).toBe(LOW_NODE);
    }
    const refusedByLow = await cli('kv', 'put', 'during', 'v3');
    expect(refusedByLow.code).not.toBe(0);
    expect(refusedByLow.stderr).toContain(`voter ${LOW_NODE} (`);

    // Down, the low voter receives nothing, so its volume cannot fill: the two others take writes
    // (as they would with any one voter of three down) until it is back, still low.
    await c.client.transferLeadership(leader.id);
    await c.waitForLeader(WAIT_CEILING_MS, LOW_NODE);
    await c.kill(LOW_NODE);
    await eventually('writes to be taken without the low voter', async () => {
      const result = await cli('kv', 'put', 'down', 'v5');
      return result.code === 0 ? result : undefined;
    });
    const leaderNow = await c.waitForLeader();
    const silentView = (await c.runCli(['cluster', 'status', '-e', c.address(leaderNow.id)]))
      .stdout;
    expect(silentView).toMatch(
      new RegExp(`${LOW_NODE} .* NOT HEARD FROM for \\d+\\.\\d s \\(down, paused or cut off\\)`),
    );
    // Its last report no longer counts: it is not shown low either.
    const lowNodeLine = silentView.split('\n').find((line) => line.startsWith(`  ${LOW_NODE} `));
    expect(lowNodeLine).not.toContain('LOW ON DISK');
    await c.restart(LOW_NODE);
    const refusedAgain = await eventually(
      'the low voter, back, to hold writes back again',
      async () => {
        const result = await cli('kv', 'put', 'back', 'v6');
        return result.code === 0 ? undefined : result;
      },
    );
    expect(refusedAgain.stderr).toContain(`voter ${LOW_NODE} (`);

    rmSync(ballast);
    await eventually('writes to resume', async () => {
      const result = await cli('kv', 'put', 'after', 'v4');
      return result.code === 0 ? result : undefined;
    });
    expect(await scrapeMetric(c.node(LOW_NODE).spec.metricsAddress, 'baton_storage_low')).toBe(0);
    expect((await cli('cluster', 'status')).stdout).not.toContain('LOW ON DISK');
    await eventually('the learner to be promoted once it has room', async () => {
      const shown = (await cli('cluster', 'status')).stdout;
      return new RegExp(`${LOW_LEARNER} .* voter`).test(shown) ? shown : undefined;
    });
    expect((await cli('workflow', 'start', 'order-saga', '--input', ORDER('o-2'))).code).toBe(0);
    for (const [key, value] of [
      ['before', 'v0'],
      ['down', 'v5'],
      ['after', 'v4'],
    ] as const) {
      const got = await cli('kv', 'get', key);
      expect(got.stdout).toContain(value);
    }
    const during = await cli('kv', 'get', 'during');
    expect(during.code).toBe(1);
    expect(during.stderr).toContain('not found: during');
    expect(next.id).not.toBe(leader.id);
    c.checkNoCrash();
  });
});
