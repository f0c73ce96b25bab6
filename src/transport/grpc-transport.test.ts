import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import type { MessageBatch } from '../gen/baton/raft/v1/MessageBatch.ts';
import type { SnapshotChunk } from '../gen/baton/raft/v1/SnapshotChunk.ts';
import { encodeMessage, encodeSnapshotMeta } from './codec.ts';
import { GrpcTransport, raftPeerClientConstructor } from './grpc-transport.ts';
import type { TransportLimits } from './limits.ts';
import {
  describeTransportContract,
  makeAppend,
  makeMessage,
  Recorder,
  waitFor,
} from './testing/transport-contract.ts';
import type { ContractCluster, ContractTransport } from './testing/transport-contract.ts';
import type { TransportHandlers } from './types.ts';

const logger = pino({ level: 'silent' });
const CLUSTER_ID = 'contract-cluster';

async function bind(server: grpc.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(
      `127.0.0.1:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => {
        if (error === null) resolve(bound);
        else reject(error);
      },
    );
  });
}

/** Binds a fresh server on `port` (0: any), retrying briefly while the old socket lets go. */
async function bindWithRetry(server: grpc.Server, port: number): Promise<number> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await bind(server, port);
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

interface GrpcNode {
  server: grpc.Server;
  transport: GrpcTransport | null;
}

async function makeGrpcCluster(
  ids: readonly NodeId[],
  limits: Partial<TransportLimits>,
): Promise<ContractCluster> {
  const ports = new Map<NodeId, number>();
  const nodes = new Map<NodeId, GrpcNode>();
  for (const id of ids) {
    const server = new grpc.Server();
    ports.set(id, await bindWithRetry(server, 0));
    nodes.set(id, { server, transport: null });
  }
  const addressOf = (id: NodeId): string => `127.0.0.1:${ports.get(id)!}`;
  const stop = async (id: NodeId): Promise<void> => {
    const node = nodes.get(id);
    if (node === undefined) return;
    await node.transport?.close();
    node.server.forceShutdown();
    nodes.delete(id);
  };
  return {
    ids,
    addressOf,
    async start(id: NodeId, handlers: TransportHandlers): Promise<ContractTransport> {
      let node = nodes.get(id);
      if (node === undefined) {
        const server = new grpc.Server();
        await bindWithRetry(server, ports.get(id)!);
        node = { server, transport: null };
        nodes.set(id, node);
      }
      await node.transport?.close();
      const transport = new GrpcTransport({ clusterId: CLUSTER_ID, nodeId: id, logger, limits });
      transport.registerServer(node.server);
      for (const peer of ids) transport.addPeer(peer, addressOf(peer));
      await transport.start(handlers);
      node.transport = transport;
      return transport;
    },
    stop,
    async close(): Promise<void> {
      for (const id of [...nodes.keys()]) await stop(id);
    },
  };
}

describeTransportContract('GrpcTransport', makeGrpcCluster);

describe('GrpcTransport: gRPC specifics', () => {
  const a = nodeId('a');
  const b = nodeId('b');
  const cleanups: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function receiver(
    limits: Partial<TransportLimits> = {},
  ): Promise<{ transport: GrpcTransport; recorder: Recorder; address: string }> {
    const server = new grpc.Server();
    const transport = new GrpcTransport({ clusterId: CLUSTER_ID, nodeId: a, logger, limits });
    transport.registerServer(server);
    const port = await bindWithRetry(server, 0);
    const recorder = new Recorder();
    await transport.start(recorder);
    cleanups.push(async () => {
      await transport.close();
      server.forceShutdown();
    });
    return { transport, recorder, address: `127.0.0.1:${port}` };
  }

  function rawClient(address: string): grpc.Client {
    const Client = raftPeerClientConstructor();
    const client = new Client(address, grpc.credentials.createInsecure(), {});
    cleanups.push(() => {
      client.close();
    });
    return client;
  }

  /** Writes raw bytes as Send messages, half-closes, and resolves with the final status code. */
  async function sendRawBytes(address: string, frames: Buffer[]): Promise<grpc.status> {
    const client = rawClient(address);
    return new Promise((resolve) => {
      const call = client.makeClientStreamRequest<Buffer, unknown>(
        '/baton.raft.v1.RaftPeer/Send',
        (value) => value,
        () => ({}),
        (error) => {
          resolve(error?.code ?? grpc.status.OK);
        },
      );
      call.on('error', () => undefined);
      for (const frame of frames) call.write(frame);
      call.end();
    });
  }

  function batchSender(address: string): (batch: MessageBatch) => Promise<grpc.status> {
    const Client = raftPeerClientConstructor();
    const client = new Client(address, grpc.credentials.createInsecure(), {});
    cleanups.push(() => {
      client.close();
    });
    return (batch) =>
      new Promise((resolve) => {
        const call = client.send((error) => {
          resolve(error?.code ?? grpc.status.OK);
        });
        call.write(batch);
        call.end();
      });
  }

  it('refuses a stream from another cluster (PERMISSION_DENIED) and counts it', async () => {
    const { transport, recorder, address } = await receiver();
    const strangerEvents = new Recorder();
    const stranger = new GrpcTransport({ clusterId: 'another-cluster', nodeId: b, logger });
    cleanups.push(() => stranger.close());
    await stranger.start(strangerEvents);
    stranger.addPeer(a, address);
    stranger.send([makeMessage(b, a, 'heartbeat')]);
    await waitFor(
      () => (transport.stats().rejected.wrongCluster ?? 0) >= 1,
      'the wrong-cluster rejection',
    );
    await waitFor(
      () => strangerEvents.unreachable.includes(a),
      'the stranger to see its stream refused',
    );
    expect(recorder.messages).toEqual([]);

    const code = await batchSender(address)({
      clusterId: 'another-cluster',
      from: 'b',
      messages: [encodeMessage(makeMessage(b, a, 'heartbeat'))],
    });
    expect(code).toBe(grpc.status.PERMISSION_DENIED);
    expect(recorder.messages).toEqual([]);
  });

  it('refuses messages that do not match the stream sender or recipient (FAILED_PRECONDITION)', async () => {
    const { transport, recorder, address } = await receiver();
    const sendBatch = batchSender(address);
    const spoofed = await sendBatch({
      clusterId: CLUSTER_ID,
      from: 'b',
      messages: [encodeMessage(makeMessage(nodeId('c'), a, 'heartbeat'))],
    });
    expect(spoofed).toBe(grpc.status.FAILED_PRECONDITION);
    const misaddressed = await sendBatch({
      clusterId: CLUSTER_ID,
      from: 'b',
      messages: [encodeMessage(makeMessage(b, nodeId('z'), 'heartbeat'))],
    });
    expect(misaddressed).toBe(grpc.status.FAILED_PRECONDITION);
    expect(transport.stats().rejected).toMatchObject({ senderMismatch: 1, wrongRecipient: 1 });
    const fine = await sendBatch({
      clusterId: CLUSTER_ID,
      from: 'b',
      messages: [encodeMessage(makeMessage(b, a, 'heartbeat'))],
    });
    expect(fine).toBe(grpc.status.OK);
    expect(recorder.messages.map((m) => [m.from, m.type])).toEqual([['b', 'heartbeat']]);
  });

  it('survives garbled and malformed messages, refusing them without delivering anything', async () => {
    const { transport, recorder, address } = await receiver();
    const garbled = await sendRawBytes(address, [
      Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03]),
    ]);
    expect(garbled).not.toBe(grpc.status.OK);

    const sendBatch = batchSender(address);
    const good = encodeMessage(makeMessage(b, a, 'heartbeat'));
    const malformed: MessageBatch[] = [
      {
        clusterId: CLUSTER_ID,
        from: 'b',
        messages: [{ ...good, type: 'MESSAGE_TYPE_UNSPECIFIED' }],
      },
      {
        clusterId: CLUSTER_ID,
        from: 'b',
        messages: [{ ...good, type: 99 as unknown as 'MESSAGE_TYPE_HEARTBEAT' }],
      },
      { clusterId: CLUSTER_ID, from: 'b', messages: [{ ...good, from: '' }] },
      { clusterId: CLUSTER_ID, from: '', messages: [good] },
      { clusterId: CLUSTER_ID, from: 'b', messages: [{ ...good, term: '18446744073709551615' }] },
      {
        clusterId: CLUSTER_ID,
        from: 'b',
        messages: [{ ...good, entries: [{ term: 1, index: 5, kind: 'ENTRY_KIND_NORMAL' }] }],
      },
      {
        clusterId: CLUSTER_ID,
        from: 'b',
        messages: [
          {
            ...encodeMessage(makeAppend(b, a, 4, 1)),
            entries: [{ term: 1, index: 9, kind: 'ENTRY_KIND_NORMAL' }],
          },
        ],
      },
      { clusterId: CLUSTER_ID, from: 'b', messages: [{ ...good, context: Buffer.alloc(100_000) }] },
      { clusterId: CLUSTER_ID, from: 'b', messages: [{ ...good, type: 'MESSAGE_TYPE_SNAPSHOT' }] },
      // One bad message spoils its whole batch: nothing of it is delivered.
      {
        clusterId: CLUSTER_ID,
        from: 'b',
        messages: [good, { ...good, type: 'MESSAGE_TYPE_UNSPECIFIED' }],
      },
    ];
    for (const batch of malformed) {
      expect(await sendBatch(batch)).toBe(grpc.status.INVALID_ARGUMENT);
    }
    expect(transport.stats().rejected.malformed).toBe(malformed.length);
    expect(recorder.messages).toEqual([]);
    // Still serving.
    expect(await sendBatch({ clusterId: CLUSTER_ID, from: 'b', messages: [good] })).toBe(
      grpc.status.OK,
    );
    expect(recorder.messages.length).toBe(1);
  });

  it('refuses a snapshot whose data does not match its checksum or length (DATA_LOSS)', async () => {
    const { transport, recorder, address } = await receiver();
    const Client = raftPeerClientConstructor();
    const client = new Client(address, grpc.credentials.createInsecure(), {});
    cleanups.push(() => {
      client.close();
    });
    const meta = { index: logIndex(10), term: term(2), conf: { voters: [a, b], learners: [] } };
    const header = (totalBytes: number, sha256: Buffer): SnapshotChunk => ({
      header: {
        clusterId: CLUSTER_ID,
        from: 'b',
        message: encodeMessage(makeMessage(b, a, 'snapshot', { term: term(2) })),
        meta: encodeSnapshotMeta(meta),
        totalBytes,
        sha256,
      },
    });
    const install = (chunks: SnapshotChunk[]): Promise<grpc.status> =>
      new Promise((resolve) => {
        const call = client.installSnapshot((error) => {
          resolve(error?.code ?? grpc.status.OK);
        });
        for (const chunk of chunks) call.write(chunk);
        call.end();
      });
    const wrongSum = await install([
      header(4, Buffer.alloc(32)),
      { data: Buffer.from([1, 2, 3, 4]) },
    ]);
    expect(wrongSum).toBe(grpc.status.DATA_LOSS);
    const { createHash } = await import('node:crypto');
    const sum = createHash('sha256')
      .update(Buffer.from([1, 2, 3, 4]))
      .digest();
    const short = await install([header(8, sum), { data: Buffer.from([1, 2, 3, 4]) }]);
    expect(short).toBe(grpc.status.DATA_LOSS);
    const tooBig = await install([header(4, sum), { data: Buffer.from([1, 2, 3, 4, 5]) }]);
    expect(tooBig).toBe(grpc.status.INVALID_ARGUMENT);
    const noHeader = await install([{ data: Buffer.from([1]) }]);
    expect(noHeader).toBe(grpc.status.INVALID_ARGUMENT);
    expect(recorder.messages).toEqual([]);
    const ok = await install([
      header(4, sum),
      { data: Buffer.from([1, 2]) },
      { data: Buffer.from([3, 4]) },
    ]);
    expect(ok).toBe(grpc.status.OK);
    expect(recorder.messages.length).toBe(1);
    expect(Array.from(recorder.messages[0]!.snapshot!.data)).toEqual([1, 2, 3, 4]);
    expect(transport.stats().rejected).toMatchObject({ checksumMismatch: 2, malformed: 2 });
  });

  it('streams a snapshot in chunks of at most snapshotChunkBytes', async () => {
    const { recorder, address } = await receiver();
    const sender = new GrpcTransport({
      clusterId: CLUSTER_ID,
      nodeId: b,
      logger,
      limits: { snapshotChunkBytes: 64 * 1024 },
    });
    cleanups.push(() => sender.close());
    const events = new Recorder();
    await sender.start(events);
    sender.addPeer(a, address);
    const data = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => i % 253);
    const meta = { index: logIndex(3), term: term(1), conf: { voters: [a, b], learners: [] } };
    sender.send([makeMessage(b, a, 'snapshot', { snapshot: { meta, data } })]);
    await waitFor(() => events.snapshotStatuses.length === 1, 'the snapshot status');
    expect(events.snapshotStatuses).toEqual([{ peer: a, status: 'finished' }]);
    expect(sender.stats().peers.get(a)!.snapshotChunksSent).toBe(
      Math.ceil(data.length / (64 * 1024)),
    );
    expect(Buffer.from(recorder.messages[0]!.snapshot!.data).equals(Buffer.from(data))).toBe(true);
  });

  it('refuses a snapshot larger than maxSnapshotBytes and reports it failed to the sender', async () => {
    const { recorder, address } = await receiver({ maxSnapshotBytes: 1024 * 1024 });
    const sender = new GrpcTransport({ clusterId: CLUSTER_ID, nodeId: b, logger });
    cleanups.push(() => sender.close());
    const events = new Recorder();
    await sender.start(events);
    sender.addPeer(a, address);
    const meta = { index: logIndex(3), term: term(1), conf: { voters: [a, b], learners: [] } };
    sender.send([
      makeMessage(b, a, 'snapshot', { snapshot: { meta, data: new Uint8Array(2 * 1024 * 1024) } }),
    ]);
    await waitFor(() => events.snapshotStatuses.length === 1, 'the snapshot status');
    expect(events.snapshotStatuses).toEqual([{ peer: a, status: 'failed' }]);
    expect(recorder.messages).toEqual([]);
  });

  it('reports a silent peer (accepts TCP, never speaks HTTP/2) as unreachable, again and again', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => {
      silent.listen(0, '127.0.0.1', resolve);
    });
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const sender = new GrpcTransport({
      clusterId: CLUSTER_ID,
      nodeId: b,
      logger,
      limits: { connectTimeoutMs: 100 },
    });
    cleanups.push(() => sender.close());
    const events = new Recorder();
    await sender.start(events);
    sender.addPeer(a, `127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
    await waitFor(() => {
      sender.send([makeMessage(b, a, 'heartbeat')]);
      return events.unreachable.length >= 2;
    }, 'two unreachable reports');
    expect(new Set(events.unreachable)).toEqual(new Set([a]));
    expect(sender.stats().peers.get(a)!.failedStreams).toBeGreaterThanOrEqual(2);
  });

  it('refuses traffic before start and after close with UNAVAILABLE', async () => {
    const server = new grpc.Server();
    const transport = new GrpcTransport({ clusterId: CLUSTER_ID, nodeId: a, logger });
    transport.registerServer(server);
    const port = await bindWithRetry(server, 0);
    cleanups.push(async () => {
      await transport.close();
      server.forceShutdown();
    });
    const Client = raftPeerClientConstructor();
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {});
    cleanups.push(() => {
      client.close();
    });
    const code = await new Promise<grpc.status>((resolve) => {
      const call = client.send((error) => {
        resolve(error?.code ?? grpc.status.OK);
      });
      call.write({
        clusterId: CLUSTER_ID,
        from: 'b',
        messages: [encodeMessage(makeMessage(b, a, 'heartbeat'))],
      });
      call.end();
    });
    expect(code).toBe(grpc.status.UNAVAILABLE);
  });
});
