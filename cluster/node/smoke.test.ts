/**
 * Three real `baton server` processes on loopback: writes through the Kv service (any node;
 * followers forward), kill -9 of the leader, a new leader, and every acknowledged write readable.
 */
import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../src/lib/testing/ports.ts';
import { CliClient } from '../../src/cli/client.ts';
import type { StatusResponse__Output } from '../../src/gen/baton/v1/StatusResponse.ts';
import { ProcessCluster } from '../lib/cluster.ts';

const WAIT_CEILING_MS = 60_000;
const BATON_BIN = fileURLToPath(new URL('../../bin/baton.js', import.meta.url));

async function waitFor<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function statusOf(address: string): Promise<StatusResponse__Output> {
  const client = new CliClient([address], 2_000);
  return client
    .admin<StatusResponse__Output>((c, m, o, cb) => c.Status({}, m, o, cb), false)
    .finally(() => {
      client.close();
    });
}

async function leaderOf(cluster: ProcessCluster): Promise<string> {
  return waitFor(async () => {
    const statuses = await Promise.all(
      cluster.endpoints().map((e) => statusOf(e).catch(() => null)),
    );
    const leaders = statuses.filter(
      (s) => s !== null && s.role === 'leader' && s.commitIndex === s.appliedIndex,
    );
    return leaders.length === 1 ? leaders[0]!.nodeId : null;
  }, 'a single leader');
}

/** Puts with retries on UNAVAILABLE (a put that errors was not acknowledged: only acked keys are checked). */
async function put(client: CliClient, key: string, value: string): Promise<boolean> {
  try {
    await client.kv((c, m, o, cb) => c.Put({ key, value: Buffer.from(value) }, m, o, cb));
    return true;
  } catch (error) {
    const code = (error as grpc.ServiceError).code;
    if (code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED) return false;
    throw error;
  }
}

async function get(client: CliClient, key: string, stale = false): Promise<string | null> {
  const response = await client.kv<{ found: boolean; value: Buffer }>((c, m, o, cb) =>
    c.Get({ key, stale }, m, o, cb),
  );
  return response.found ? response.value.toString('utf8') : null;
}

describe('three baton server processes', () => {
  let cluster: ProcessCluster;
  beforeAll(async () => {
    cluster = await ProcessCluster.start({ size: 3, clusterId: 'smoke' });
  });
  afterAll(async () => {
    await cluster.shutdown();
  });

  it('replicates, survives kill -9 of the leader, and keeps every acknowledged write', async () => {
    const first = await leaderOf(cluster);
    const follower = cluster.runningMembers().find((id) => id !== first)!;
    // Through a follower only: it must forward to the leader.
    const viaFollower = new CliClient([cluster.address(follower)], 5_000);
    const acknowledged = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      if (await put(viaFollower, `k${i}`, `v${i}`)) acknowledged.set(`k${i}`, `v${i}`);
    }
    viaFollower.close();
    expect(acknowledged.size).toBe(30);

    await cluster.kill(first);
    const second = await leaderOf(cluster);
    expect(second).not.toBe(first);
    const client = new CliClient(cluster.endpoints(), 5_000);
    for (let i = 30; i < 60; i++) {
      if (await put(client, `k${i}`, `v${i}`)) acknowledged.set(`k${i}`, `v${i}`);
    }
    expect(acknowledged.size).toBeGreaterThan(30);
    for (const [key, value] of acknowledged) expect(await get(client, key)).toBe(value);
    client.close();

    // Every survivor holds every acknowledged write in its own applied state.
    for (const address of cluster.endpoints()) {
      const local = new CliClient([address], 5_000);
      await waitFor(
        async () => ((await get(local, 'k59', true)) === acknowledged.get('k59') ? true : null),
        `${address} to catch up`,
      );
      for (const [key, value] of acknowledged) expect(await get(local, key, true)).toBe(value);
      local.close();
    }

    // The old leader restarts from its disk and catches up.
    await cluster.restart(first);
    const restarted = new CliClient([cluster.address(first)], 5_000);
    await waitFor(
      async () => ((await get(restarted, 'k59', true)) === acknowledged.get('k59') ? true : null),
      'the old leader to catch up',
    );
    restarted.close();
  });

  it('cluster status skips an endpoint that does not answer (and names it with --all)', async () => {
    await leaderOf(cluster);
    const [deadPort] = await freePorts(1);
    const dead = `127.0.0.1:${deadPort}`;
    const live = cluster.address('n1');
    const run = promisify(execFile);
    const args = ['cluster', 'status', '--endpoints', `${dead},${live}`, '--timeout-ms', '1000'];
    const first = await run(BATON_BIN, args, { timeout: 60_000 });
    expect(first.stdout).toContain('cluster smoke  node n1');
    expect(first.stdout).not.toContain(dead);
    const all = await run(BATON_BIN, [...args, '--all'], { timeout: 60_000 });
    expect(all.stdout).toContain(`${dead}: no answer (UNAVAILABLE`);
    expect(all.stdout).toContain('cluster smoke  node n1');
    const none = await run(BATON_BIN, ['cluster', 'status', '--endpoints', dead], {
      timeout: 60_000,
    }).then(
      () => null,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(none?.code).toBe(1);
    expect(none?.stderr).toContain('baton: UNAVAILABLE');
  });

  it('answers /metrics, /healthz and /readyz on the metrics port', async () => {
    const spec = cluster.node('n1').spec;
    await leaderOf(cluster);
    const health = await fetch(`http://${spec.metricsAddress}/healthz`);
    expect(health.status).toBe(200);
    const ready = await waitFor(async () => {
      const response = await fetch(`http://${spec.metricsAddress}/readyz`);
      return response.status === 200 ? response : null;
    }, 'readyz');
    expect(await ready.text()).toContain('ready');
    const metrics = await (await fetch(`http://${spec.metricsAddress}/metrics`)).text();
    for (const name of [
      'baton_raft_term',
      'baton_raft_commit_index',
      'baton_raft_append_seconds_bucket',
      'baton_raft_leader_changes_total',
      'baton_dispatch_active',
      'baton_dispatch_long_polls',
      'baton_engine_workflows_closed_total',
    ]) {
      expect(metrics).toContain(name);
    }
  });

  it('hands off leadership on SIGTERM without failing a write', async () => {
    const leader = await leaderOf(cluster);
    const client = new CliClient(
      cluster.endpoints().filter((e) => e !== cluster.address(leader)),
      5_000,
    );
    const writing = (async () => {
      let failures = 0;
      for (let i = 0; i < 40; i++) {
        if (!(await put(client, `t${i}`, String(i)))) failures += 1;
      }
      return failures;
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await cluster.stop(leader);
    expect(cluster.node(leader).exitInfo).toEqual({ code: 0, signal: null });
    // The client retries UNAVAILABLE itself; a write that still failed would show up here.
    expect(await writing).toBe(0);
    const next = await leaderOf(cluster);
    expect(next).not.toBe(leader);
    client.close();
  });
  it('adds a node that joins with --join, promotes it, and removes it', async () => {
    for (const id of cluster.members) if (!cluster.node(id).running) await cluster.restart(id);
    await leaderOf(cluster);
    const client = new CliClient(cluster.endpoints(), 5_000);
    expect(await put(client, 'before-join', 'x')).toBe(true);
    const n4 = await cluster.startJoiner();
    const n4Address = cluster.address(n4);
    await client.admin((c, m, o, cb) => c.AddNode({ id: n4, address: n4Address }, m, o, cb));
    await waitFor(async () => {
      const status = await statusOf(n4Address);
      return status.members.some((m) => m.id === n4 && m.voter) ? status : null;
    }, `${n4} to be promoted to voter`);
    expect(await put(client, 'after-join', 'y')).toBe(true);
    const local = new CliClient([n4Address], 5_000);
    await waitFor(
      async () => ((await get(local, 'after-join', true)) === 'y' ? true : null),
      `${n4} to apply`,
    );
    expect(await get(local, 'before-join', true)).toBe('x');
    expect(await get(local, 'k0', true)).toBe('v0');
    local.close();
    const leader = await leaderOf(cluster);
    if (leader === n4)
      await client.admin((c, m, o, cb) => c.TransferLeadership({ to: '' }, m, o, cb));
    await client.admin((c, m, o, cb) => c.RemoveNode({ id: n4 }, m, o, cb));
    const status = await statusOf(cluster.address('n1'));
    expect(status.members.map((m) => m.id)).not.toContain(n4);
    client.close();
  });
});
