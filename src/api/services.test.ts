/**
 * The client services over real gRPC on loopback, on real nodes (LevelDB in temp directories,
 * the gRPC peer transport) built by the composition root.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from '../lib/testing/ports.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/index.ts';
import type { AdminClient } from '../gen/baton/v1/Admin.ts';
import type { KvClient } from '../gen/baton/v1/Kv.ts';
import { startNode } from '../main.ts';
import type { RunningNode } from '../main.ts';
import { BatonClient } from '../../cluster/lib/client.ts';
import { apiProto } from './proto.ts';
import { HOPS_METADATA_KEY, LEADER_ADDRESS_METADATA_KEY, LEADER_METADATA_KEY } from './status.ts';

const WAIT_CEILING_MS = 30_000;

interface Outcome<T> {
  readonly error: grpc.ServiceError | null;
  readonly response: T | undefined;
}

function unary<T>(
  start: (
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<T>,
  ) => void,
  metadata = new grpc.Metadata(),
): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    start(metadata, { deadline: Date.now() + 10_000 }, (error, response) => {
      resolve({ error, response });
    });
  });
}

async function startCluster(
  root: string,
  ids: readonly string[],
  existing: readonly string[] = ids,
): Promise<RunningNode[]> {
  const ports = new Map<string, number>();
  for (const id of existing) ports.set(id, await freePort());
  const nodes: RunningNode[] = [];
  for (const id of ids) {
    const peers = Object.fromEntries(
      existing.filter((p) => p !== id).map((p) => [p, `127.0.0.1:${ports.get(p)!}`]),
    );
    const config = validateConfig({
      nodeId: id,
      clusterId: 'api-test',
      listen: `127.0.0.1:${ports.get(id)!}`,
      peers,
      dataDir: join(root, id),
      logLevel: 'silent',
      api: { maxValueBytes: 4096 },
    });
    nodes.push(await startNode(config));
  }
  return nodes;
}

async function waitForLeader(nodes: readonly RunningNode[]): Promise<RunningNode> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  for (;;) {
    const leader = nodes.find(
      (n) =>
        n.replica.isLeader() &&
        n.replica.status().commit > 0 &&
        n.replica.appliedIndex() >= n.replica.status().commit,
    );
    if (leader !== undefined && nodes.every((n) => n.replica.leaderHint() === leader.replica.id))
      return leader;
    if (Date.now() > deadline) throw new Error('no leader elected');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts a backup; resolves with its header's index, or the error that ended it. */
function receiveBackupHeader(
  admin: AdminClient,
  minIndex: number,
): Promise<{ error: grpc.ServiceError | null; index: number }> {
  return new Promise((resolve) => {
    const call = admin.Backup({ minIndex }, { deadline: Date.now() + 20_000 });
    let index = -1;
    call.on('data', (chunk: { header: { index: number } | null }) => {
      if (chunk.header !== null) index = chunk.header.index;
    });
    call.on('error', (error: grpc.ServiceError) => {
      resolve({ error, index });
    });
    call.on('end', () => {
      resolve({ error: null, index });
    });
  });
}

async function forwardedPuts(node: RunningNode): Promise<number> {
  const forwarded = await node.metrics.forwarded.get();
  return forwarded.values.find((v) => v.labels['method'] === 'Put')?.value ?? 0;
}

describe('Kv and Admin over gRPC on a 3-node cluster', () => {
  let root: string;
  let nodes: RunningNode[];
  let leader: RunningNode;
  let follower: RunningNode;
  let followerKv: KvClient;
  let followerAdmin: AdminClient;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'baton-api-'));
    nodes = await startCluster(root, ['n1', 'n2', 'n3']);
    leader = await waitForLeader(nodes);
    follower = nodes.find((n) => n !== leader)!;
    followerKv = new (apiProto().Kv)(follower.address, grpc.credentials.createInsecure());
    followerAdmin = new (apiProto().Admin)(follower.address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    followerKv.close();
    followerAdmin.close();
    for (const node of nodes) await node.shutdown();
    await rm(root, { recursive: true, force: true });
  });

  it('forwards a put on a follower to the leader, and a linearizable get too', async () => {
    const put = await unary<{ index: number }>((m, o, cb) =>
      followerKv.Put({ key: 'fwd', value: Buffer.from('ok') }, m, o, cb),
    );
    expect(put.error).toBeNull();
    expect(put.response!.index).toBeGreaterThan(0);
    const get = await unary<{ found: boolean; value: Buffer; index: number }>((m, o, cb) =>
      followerKv.Get({ key: 'fwd' }, m, o, cb),
    );
    expect(get.error).toBeNull();
    expect(get.response!.found).toBe(true);
    expect(get.response!.value.toString()).toBe('ok');
    expect(get.response!.index).toBeGreaterThanOrEqual(put.response!.index);
    const forwarded = await follower.metrics.forwarded.get();
    expect(forwarded.values.map((v) => v.labels['method'])).toEqual(
      expect.arrayContaining(['Put', 'Get']),
    );
  });

  it('gives a read index through any node, and a backup from a node that has applied it', async () => {
    const put = await unary<{ index: number }>((m, o, cb) =>
      followerKv.Put({ key: 'before-backup', value: Buffer.from('ok') }, m, o, cb),
    );
    expect(put.error).toBeNull();
    const read = await unary<{ index: number }>((m, o, cb) =>
      followerAdmin.ReadIndex({}, m, o, cb),
    );
    expect(read.error).toBeNull();
    expect(read.response!.index).toBeGreaterThanOrEqual(put.response!.index);
    const backup = await receiveBackupHeader(followerAdmin, read.response!.index);
    expect(backup.error).toBeNull();
    expect(backup.index).toBeGreaterThanOrEqual(read.response!.index);
  });

  it('refuses a backup at an index the node has not applied (UNAVAILABLE, so the CLI asks another) or cannot hold', async () => {
    const beyond = follower.replica.status().lastIndex + 1_000_000;
    const backup = await receiveBackupHeader(followerAdmin, beyond);
    expect(backup.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(backup.error?.details).toMatch(
      new RegExp(`has applied the log up to index \\d+, not the requested ${beyond}`),
    );
    // Past 2^53 an index cannot be held exactly: refused rather than rounded.
    const huge = await receiveBackupHeader(followerAdmin, 2 ** 60);
    expect(huge.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(huge.error?.details).toMatch(/min_index/);
  });

  it('names the leader in the trailers of a forwarded answer, and only of a forwarded one', async () => {
    const trailersOf = (kv: KvClient, key: string): Promise<grpc.Metadata> =>
      new Promise((resolve, reject) => {
        const call = kv.Put(
          { key, value: Buffer.from('v') },
          new grpc.Metadata(),
          { deadline: Date.now() + 10_000 },
          (error) => {
            if (error !== null) reject(error);
          },
        );
        call.on('status', (status: grpc.StatusObject) => {
          resolve(status.metadata);
        });
      });
    const viaFollower = await trailersOf(followerKv, 'trailer-1');
    expect(viaFollower.get(LEADER_ADDRESS_METADATA_KEY)).toEqual([leader.address]);
    const leaderKv = new (apiProto().Kv)(leader.address, grpc.credentials.createInsecure());
    try {
      const direct = await trailersOf(leaderKv, 'trailer-2');
      expect(direct.get(LEADER_ADDRESS_METADATA_KEY)).toEqual([]);
    } finally {
      leaderKv.close();
    }
  });

  it('a client that reached a follower sends its next calls to the leader', async () => {
    const client = new BatonClient({ endpoints: [follower.address] });
    try {
      const forwardedBefore = await forwardedPuts(follower);
      for (let i = 0; i < 5; i++) await client.put(`follow-${i}`, Buffer.from('v'));
      expect(client.leader).toBe(leader.address);
      // Only the first call went through the follower.
      expect((await forwardedPuts(follower)) - forwardedBefore).toBe(1);
    } finally {
      client.close();
    }
  });

  it('answers a stale get from the local state and reports a missing key', async () => {
    const missing = await unary<{ found: boolean }>((m, o, cb) =>
      followerKv.Get({ key: 'nope', stale: true }, m, o, cb),
    );
    expect(missing.error).toBeNull();
    expect(missing.response!.found).toBe(false);
  });

  it('refuses to forward past the hop limit, with the leader hint', async () => {
    const metadata = new grpc.Metadata();
    metadata.set(HOPS_METADATA_KEY, '1');
    const put = await unary(
      (m, o, cb) => followerKv.Put({ key: 'loop', value: Buffer.from('x') }, m, o, cb),
      metadata,
    );
    expect(put.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(put.error?.metadata.get(LEADER_METADATA_KEY)).toEqual([leader.replica.id]);
    expect(put.error?.metadata.get(LEADER_ADDRESS_METADATA_KEY)).toEqual([leader.address]);
  });

  it.each([
    ['an empty key', { key: '', value: Buffer.from('v') }],
    ['a key over 1 KiB', { key: 'k'.repeat(1025), value: Buffer.from('v') }],
    ['a value over the limit', { key: 'big', value: Buffer.alloc(4097) }],
  ])('rejects %s with INVALID_ARGUMENT', async (_name, request) => {
    const put = await unary((m, o, cb) => followerKv.Put(request, m, o, cb));
    expect(put.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('maps admin errors to their status codes', async () => {
    const badId = await unary((m, o, cb) =>
      followerAdmin.AddNode({ id: 'bad id!', address: '127.0.0.1:1' }, m, o, cb),
    );
    expect(badId.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const badAddress = await unary((m, o, cb) =>
      followerAdmin.AddNode({ id: 'n9', address: 'nowhere' }, m, o, cb),
    );
    expect(badAddress.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const unknown = await unary((m, o, cb) => followerAdmin.RemoveNode({ id: 'n9' }, m, o, cb));
    expect(unknown.error?.code).toBe(grpc.status.NOT_FOUND);
    const notVoter = await unary((m, o, cb) =>
      followerAdmin.TransferLeadership({ to: 'n9' }, m, o, cb),
    );
    expect(notVoter.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('reports status with members and the leader on any node', async () => {
    const status = await unary<{
      leaderId: string;
      leaderAddress: string;
      members: Array<{ id: string; voter: boolean }>;
    }>((m, o, cb) => followerAdmin.Status({}, m, o, cb));
    expect(status.error).toBeNull();
    expect(status.response!.leaderId).toBe(leader.replica.id);
    expect(status.response!.leaderAddress).toBe(leader.address);
    expect(status.response!.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
  });
});

describe('a cluster of one', () => {
  it('refuses to remove its only voter, saying why', async () => {
    const root = await mkdtemp(join(tmpdir(), 'baton-api-single-'));
    const [only] = await startCluster(root, ['n1'], ['n1']);
    const admin = new (apiProto().Admin)(only!.address, grpc.credentials.createInsecure());
    try {
      await waitForLeader([only!]);
      const removed = await unary((m, o, cb) => admin.RemoveNode({ id: 'n1' }, m, o, cb));
      expect(removed.error?.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(removed.error?.details).toMatch(/no other voter/);
      expect(only!.replica.status().conf.voters).toEqual(['n1']);
    } finally {
      admin.close();
      await only!.shutdown();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('a node with no leader', () => {
  it('answers UNAVAILABLE at once instead of holding the request', async () => {
    const root = await mkdtemp(join(tmpdir(), 'baton-api-alone-'));
    // n1 alone out of three founders: it can never win an election.
    const [alone] = await startCluster(root, ['n1'], ['n1', 'n2', 'n3']);
    const kv = new (apiProto().Kv)(alone!.address, grpc.credentials.createInsecure());
    const admin = new (apiProto().Admin)(alone!.address, grpc.credentials.createInsecure());
    try {
      const put = await unary((m, o, cb) =>
        kv.Put({ key: 'k', value: Buffer.from('v') }, m, o, cb),
      );
      expect(put.error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(put.error?.details).toMatch(/no leader is known/);
      const get = await unary((m, o, cb) => kv.Get({ key: 'k' }, m, o, cb));
      expect(get.error?.code).toBe(grpc.status.UNAVAILABLE);
      // Nor does it serve a backup of nothing: the CLI moves on to another endpoint.
      const backup = await new Promise<grpc.ServiceError>((resolve, reject) => {
        const call = admin.Backup({}, { deadline: Date.now() + 10_000 });
        call.on('data', () => {
          reject(new Error('a node that applied nothing sent backup data'));
        });
        call.on('error', resolve);
      });
      expect(backup.code).toBe(grpc.status.UNAVAILABLE);
      expect(backup.details).toMatch(/holds no state yet/);
    } finally {
      admin.close();
      kv.close();
      await alone!.shutdown();
      await rm(root, { recursive: true, force: true });
    }
  });
});
