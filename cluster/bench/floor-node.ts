/**
 * One process of the floor cluster (`npm run bench -- floor`): what a replicated write costs on
 * Baton's stack with none of Baton in it. The same parts carry the write as in Baton — grpc-js
 * for the client's unary call, one grpc-js stream to each follower, one synced LevelDB batch
 * (`level`, `sync: true`) per append on every node, group commit on the leader — and nothing
 * else: no Raft, no terms, no encoding beyond indexes and lengths, no state machine, no metrics,
 * no timers. The leader answers a put once its own batch and one follower's hold it, as a Raft
 * leader commits.
 *
 * It speaks etcd's `KV.Put` (the request is stored as it came, the answer is an empty
 * PutResponse), so the load reaches it through the very client code the etcd comparison uses.
 *
 *   floor-node.ts --role follower --data <dir>
 *   floor-node.ts --role leader --data <dir> --followers 127.0.0.1:p1,127.0.0.1:p2
 *
 * Listens on a free loopback port and prints `READY <port>` once it serves.
 */
import * as grpc from '@grpc/grpc-js';
import { Level } from 'level';
import { parseArgs } from 'node:util';

const passThrough = {
  requestSerialize: (value: Buffer): Buffer => value,
  requestDeserialize: (value: Buffer): Buffer => value,
  responseSerialize: (value: Buffer): Buffer => value,
  responseDeserialize: (value: Buffer): Buffer => value,
};
const APPEND = {
  path: '/baton.bench.floor.Peer/Append',
  requestStream: true,
  responseStream: true,
  ...passThrough,
} as const;
const PUT = { path: '/etcdserverpb.KV/Put', requestStream: false, responseStream: false };
const STATUS = { path: '/etcdserverpb.Maintenance/Status', requestStream: false };
const EMPTY = Buffer.alloc(0);
/** A put request larger than this is refused (the bench sends ~120 bytes). */
const MAX_REQUEST_BYTES = 64 * 1024;
const INDEX_BYTES = 8;
const HARD_STATE_KEY = Buffer.from('hard-state');

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    data: { type: 'string' },
    followers: { type: 'string', default: '' },
  },
});
const role = values.role;
if (role !== 'leader' && role !== 'follower') fail('--role must be leader or follower');
if (values.data === undefined || values.data.length === 0) fail('--data <dir> is required');
const followerAddresses = values.followers.split(',').filter((address) => address.length > 0);
if (role === 'leader' && followerAddresses.length === 0) fail('a leader needs --followers');

function fail(message: string): never {
  process.stderr.write(`floor-node: ${message}\n`);
  process.exit(2);
}

const db = new Level<Buffer, Buffer>(values.data, {
  keyEncoding: 'buffer',
  valueEncoding: 'buffer',
});
await db.open();

/**
 * An append on the wire: first index u64be, then each entry as length u32be and bytes (the
 * client's put request as it came). One message per leader write, however many entries.
 */
function encodeAppend(firstIndex: number, entries: readonly Buffer[]): Buffer {
  let size = INDEX_BYTES;
  for (const entry of entries) size += 4 + entry.length;
  const message = Buffer.allocUnsafe(size);
  message.writeBigUInt64BE(BigInt(firstIndex));
  let at = INDEX_BYTES;
  for (const entry of entries) {
    message.writeUInt32BE(entry.length, at);
    entry.copy(message, at + 4);
    at += 4 + entry.length;
  }
  return message;
}

function decodeAppend(message: Buffer): { firstIndex: number; entries: Buffer[] } {
  if (message.length < INDEX_BYTES) throw new Error('an append is at least 8 bytes');
  const firstIndex = Number(message.readBigUInt64BE(0));
  const entries: Buffer[] = [];
  let at = INDEX_BYTES;
  while (at < message.length) {
    if (at + 4 > message.length) throw new Error('a truncated entry length');
    const length = message.readUInt32BE(at);
    if (at + 4 + length > message.length) throw new Error('a truncated entry');
    entries.push(message.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { firstIndex, entries };
}

function indexBytes(index: number): Buffer {
  const bytes = Buffer.allocUnsafe(INDEX_BYTES);
  bytes.writeBigUInt64BE(BigInt(index));
  return bytes;
}

/** The entries and the hard state in one synced batch, as Baton's log writes an append. */
function persist(firstIndex: number, entries: readonly Buffer[]): Promise<void> {
  const operations = entries.map((entry, i) => {
    const key = Buffer.allocUnsafe(1 + INDEX_BYTES);
    key[0] = 0x6c;
    key.writeBigUInt64BE(BigInt(firstIndex + i), 1);
    return { type: 'put' as const, key, value: entry };
  });
  const lastIndex = firstIndex + entries.length - 1;
  operations.push({ type: 'put', key: HARD_STATE_KEY, value: indexBytes(lastIndex) });
  return db.batch(operations, { sync: true });
}

const server = new grpc.Server();
server.addService(
  { append: APPEND },
  {
    append: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      // Batches can complete out of order on LevelDB's worker threads: acknowledge only what is
      // durable with everything before it.
      const inOrder: Array<{ lastIndex: number; durable: boolean }> = [];
      call.on('data', (message: Buffer) => {
        let append: { firstIndex: number; entries: Buffer[] };
        try {
          append = decodeAppend(message);
        } catch (error) {
          call.destroy(error as Error);
          return;
        }
        const write = { lastIndex: append.firstIndex + append.entries.length - 1, durable: false };
        inOrder.push(write);
        persist(append.firstIndex, append.entries).then(
          () => {
            write.durable = true;
            let acknowledged = -1;
            while (inOrder.length > 0 && inOrder[0]!.durable)
              acknowledged = inOrder.shift()!.lastIndex;
            if (acknowledged >= 0) call.write(indexBytes(acknowledged));
          },
          (error: unknown) => {
            call.destroy(error as Error);
          },
        );
      });
    },
  },
);
server.addService(
  { status: { ...STATUS, responseStream: false, ...passThrough } },
  {
    status: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => {
      callback(null, EMPTY);
    },
  },
);

if (role === 'leader') {
  // Group commit as in Baton: puts that arrive while the leader's own write is in flight go out
  // together, in one message per follower and one batch, once it completes. A lone put (as at
  // concurrency 1) leaves at once.
  const waiting: Array<{ index: number; callback: grpc.sendUnaryData<Buffer> }> = [];
  let queued: Buffer[] = [];
  let writing = false;
  let nextIndex = 1;
  let durableIndex = 0;
  let acknowledgedIndex = 0;
  /** Answers every put that the leader's disk and one follower's hold. */
  const settle = (): void => {
    const committed = Math.min(durableIndex, acknowledgedIndex);
    let answered = 0;
    while (answered < waiting.length && waiting[answered]!.index <= committed) {
      waiting[answered]!.callback(null, EMPTY);
      answered++;
    }
    if (answered > 0) waiting.splice(0, answered);
  };
  const Peer = grpc.makeGenericClientConstructor({ append: APPEND }, 'Peer');
  const streams = followerAddresses.map((address) => {
    const client = new Peer(address, grpc.credentials.createInsecure());
    const stream = (
      client as unknown as { append(): grpc.ClientDuplexStream<Buffer, Buffer> }
    ).append();
    stream.on('data', (acknowledgement: Buffer) => {
      acknowledgedIndex = Math.max(acknowledgedIndex, Number(acknowledgement.readBigUInt64BE(0)));
      settle();
    });
    stream.on('error', (error: Error) => fail(`stream to ${address}: ${error.message}`));
    return stream;
  });
  const writeQueued = (): void => {
    const entries = queued;
    queued = [];
    writing = true;
    const firstIndex = nextIndex;
    nextIndex += entries.length;
    const lastIndex = nextIndex - 1;
    const message = encodeAppend(firstIndex, entries);
    for (const stream of streams) stream.write(message);
    persist(firstIndex, entries).then(
      () => {
        durableIndex = lastIndex;
        writing = false;
        settle();
        if (queued.length > 0) writeQueued();
      },
      (error: unknown) => fail(`log write failed: ${String(error)}`),
    );
  };
  server.addService(
    { put: { ...PUT, ...passThrough } },
    {
      put: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        if (call.request.length > MAX_REQUEST_BYTES) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'request too large' });
          return;
        }
        waiting.push({ index: nextIndex + queued.length, callback });
        queued.push(call.request);
        if (!writing) writeQueued();
      },
    },
  );
}

// Exit normally on SIGTERM so that a --cpu-prof profile gets written.
process.on('SIGTERM', () => {
  process.exit(0);
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) fail(`cannot listen: ${error.message}`);
  process.stdout.write(`READY ${port}\n`);
});
