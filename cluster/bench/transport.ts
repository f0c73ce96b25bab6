/**
 * Micro-benchmark of the gRPC peer transport: two processes on loopback (sender = this process,
 * receiver = a child), each with its own gRPC server and GrpcTransport.
 *
 *   npx tsx cluster/bench/transport.ts [--seconds 5] [--entry-bytes 1024] [--entries-per-message 1] [--window 4096]
 *     [--batch-bytes N] [--inflight-writes N]
 *
 * 1. Round trip: heartbeat → heartbeatResponse, one at a time (p50/p99/max µs).
 * 2. Throughput: appends of --entries-per-message entries each, in a closed loop (at most --window messages not yet
 *    acknowledged, like Raft's pipeline); the receiver acknowledges progress once per event-loop
 *    turn. Reports messages/s, MB/s, batch sizes and drops.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { logIndex, nodeId, term } from '../../src/lib/index.ts';
import type { NodeId } from '../../src/lib/index.ts';
import type { Entry, Message } from '../../src/raft/types.ts';
import { DEFAULT_TRANSPORT_LIMITS, GrpcTransport } from '../../src/transport/index.ts';

const CLUSTER_ID = 'bench';
const SENDER = nodeId('sender');
const RECEIVER = nodeId('receiver');
const MAX_QUEUED_MESSAGES = 16_384;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function message(
  from: NodeId,
  to: NodeId,
  type: Message['type'],
  fields: Partial<Message> = {},
): Message {
  return {
    type,
    from,
    to,
    term: term(1),
    logTerm: term(1),
    index: logIndex(0),
    entries: [],
    commit: logIndex(0),
    reject: false,
    rejectHint: logIndex(0),
    snapshot: null,
    context: new Uint8Array(0),
    ...fields,
  };
}

async function node(
  id: NodeId,
): Promise<{ transport: GrpcTransport; server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const transport = new GrpcTransport({
    clusterId: CLUSTER_ID,
    nodeId: id,
    logger: pino({ level: 'warn' }),
    limits: {
      maxQueuedMessagesPerPeer: MAX_QUEUED_MESSAGES,
      maxBatchBytes: option('batch-bytes', DEFAULT_TRANSPORT_LIMITS.maxBatchBytes),
      maxInflightWritesPerPeer: option(
        'inflight-writes',
        DEFAULT_TRANSPORT_LIMITS.maxInflightWritesPerPeer,
      ),
    },
  });
  transport.registerServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error === null) resolve(bound);
      else reject(error);
    });
  });
  return { transport, server, port };
}

/** The child: echoes heartbeats, acknowledges appends by count once per turn. */
async function receiver(senderPort: number): Promise<void> {
  const { transport, port } = await node(RECEIVER);
  let received = 0;
  let ackScheduled = false;
  await transport.start({
    onMessage(m) {
      if (m.type === 'heartbeat') {
        transport.send([message(RECEIVER, SENDER, 'heartbeatResponse', { commit: m.commit })]);
        return;
      }
      received += 1;
      if (!ackScheduled) {
        ackScheduled = true;
        setImmediate(() => {
          ackScheduled = false;
          transport.send([
            message(RECEIVER, SENDER, 'appendResponse', { index: logIndex(received) }),
          ]);
        });
      }
    },
    onUnreachable() {},
    onSnapshotStatus() {},
    onPeerStorage() {},
  });
  transport.addPeer(SENDER, `127.0.0.1:${senderPort}`);
  process.on('SIGINT', () => {
    process.exit(0);
  });
  process.stdout.write(`READY ${port}\n`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function main(): Promise<void> {
  const seconds = option('seconds', 5);
  const entryBytes = option('entry-bytes', 1024);
  const entriesPerMessage = option('entries-per-message', 1);
  const window = option('window', 4096);
  const { transport, server, port } = await node(SENDER);
  let onHeartbeatResponse: (commit: number) => void = () => undefined;
  let acknowledged = 0;
  let onAcknowledged: () => void = () => undefined;
  await transport.start({
    onMessage(m) {
      if (m.type === 'heartbeatResponse') onHeartbeatResponse(m.commit);
      else if (m.type === 'appendResponse') {
        acknowledged = Math.max(acknowledged, m.index);
        onAcknowledged();
      }
    },
    onUnreachable() {},
    onSnapshotStatus() {},
    onPeerStorage() {},
  });

  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--receiver', String(port)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const receiverPort = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /READY (\d+)/.exec(chunk.toString());
      if (match !== null) resolve(Number(match[1]));
      else process.stderr.write(chunk);
    });
    child.on('exit', (code) => {
      reject(new Error(`receiver exited with ${code}`));
    });
  });
  transport.addPeer(RECEIVER, `127.0.0.1:${receiverPort}`);

  // 1. Round trips.
  const roundTrip = (commit: number): Promise<number> =>
    new Promise((resolve) => {
      const started = performance.now();
      onHeartbeatResponse = (echoed) => {
        if (echoed === commit) resolve((performance.now() - started) * 1000);
      };
      transport.send([message(SENDER, RECEIVER, 'heartbeat', { commit: logIndex(commit) })]);
    });
  for (let i = 1; i <= 300; i += 1) await roundTrip(i);
  const rtts: number[] = [];
  for (let i = 1; i <= 3000; i += 1) rtts.push(await roundTrip(1000 + i));
  rtts.sort((x, y) => x - y);
  console.log(
    `round trip (heartbeat → response, 3000 sequential): p50 ${percentile(rtts, 50).toFixed(0)} µs, p99 ${percentile(rtts, 99).toFixed(0)} µs, max ${rtts.at(-1)!.toFixed(0)} µs`,
  );

  // 2. Throughput: a closed loop like Raft's pipeline — at most `window` messages unacknowledged.
  const data = new Uint8Array(entryBytes).fill(7);
  let index = 0;
  const offer = (): void => {
    const room = acknowledged + window - index / entriesPerMessage;
    if (room <= 0) return;
    const outbound: Message[] = [];
    for (let i = 0; i < room; i += 1) {
      const entries: Entry[] = [];
      for (let e = 1; e <= entriesPerMessage; e += 1) {
        entries.push({ term: term(1), index: logIndex(index + e), kind: 'normal', data });
      }
      outbound.push(message(SENDER, RECEIVER, 'append', { index: logIndex(index), entries }));
      index += entriesPerMessage;
    }
    transport.send(outbound);
  };
  onAcknowledged = offer;
  const before = transport.stats().peers.get(RECEIVER)!;
  const ackedBefore = acknowledged;
  const started = performance.now();
  offer();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  onAcknowledged = () => undefined;
  const elapsedSeconds = (performance.now() - started) / 1000;
  const delivered = acknowledged - ackedBefore;
  const after = transport.stats().peers.get(RECEIVER)!;
  const sent = after.sentMessages - before.sentMessages;
  const batches = after.sentBatches - before.sentBatches;
  const rate = delivered / elapsedSeconds;
  console.log(
    `throughput (appends of ${entriesPerMessage} × ${entryBytes} B, window ${window} messages, ${seconds} s): ` +
      `${Math.round(rate).toLocaleString('en-US')} messages/s, ` +
      `${((rate * entriesPerMessage * entryBytes) / 1e6).toFixed(1)} MB/s of entry data`,
  );
  console.log(
    `batches: ${batches.toLocaleString('en-US')} writes for ${sent.toLocaleString('en-US')} messages ` +
      `(mean ${(sent / Math.max(1, batches)).toFixed(1)}, max ${after.maxBatchMessages} per batch); ` +
      `dropped ${after.droppedMessages - before.droppedMessages}`,
  );

  child.kill('SIGINT');
  await transport.close();
  server.forceShutdown();
}

const receiverAt = process.argv.indexOf('--receiver');
if (receiverAt >= 0) {
  await receiver(Number(process.argv[receiverAt + 1]));
} else {
  await main();
}
