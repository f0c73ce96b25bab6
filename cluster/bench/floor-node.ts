/**
 * One process of the floor cluster (`npm run bench -- floor`): what a replicated write costs on
 * Baton's stack with none of Baton in it. The same parts carry the write as in Baton — grpc-js
 * for the client's unary call, one grpc-js stream to each follower, one synced LevelDB batch
 * (`level`, `sync: true`) per append on every node — and nothing else: no Raft, no
 * terms, no encoding beyond an 8-byte index, no state machine, no metrics, no timers. The leader
 * answers a put once its own batch and one follower's are durable, as a Raft leader commits.
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

/** One entry and the hard state in one synced batch, as Baton's log writes an append. */
function persist(index: number, entry: Buffer): Promise<void> {
  const key = Buffer.allocUnsafe(1 + INDEX_BYTES);
  key[0] = 0x6c;
  key.writeBigUInt64BE(BigInt(index), 1);
  const hardState = Buffer.allocUnsafe(INDEX_BYTES);
  hardState.writeBigUInt64BE(BigInt(index));
  return db.batch(
    [
      { type: 'put', key, value: entry },
      { type: 'put', key: HARD_STATE_KEY, value: hardState },
    ],
    { sync: true },
  );
}

function indexOf(message: Buffer): number {
  return Number(message.readBigUInt64BE(0));
}

const server = new grpc.Server();
server.addService(
  { append: APPEND },
  {
    append: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (message: Buffer) => {
        if (message.length < INDEX_BYTES) {
          call.destroy(new Error('an append is at least 8 bytes'));
          return;
        }
        const index = indexOf(message);
        persist(index, message).then(
          () => call.write(message.subarray(0, INDEX_BYTES)),
          (error: unknown) => call.destroy(error as Error),
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
  interface Waiting {
    acknowledgements: number;
    durable: boolean;
    callback: grpc.sendUnaryData<Buffer> | null;
  }
  const waiting = new Map<number, Waiting>();
  let nextIndex = 1;
  const settle = (index: number, write: Waiting): void => {
    if (!write.durable || write.acknowledgements < 1 || write.callback === null) return;
    const callback = write.callback;
    write.callback = null;
    waiting.delete(index);
    callback(null, EMPTY);
  };
  const Peer = grpc.makeGenericClientConstructor({ append: APPEND }, 'Peer');
  const streams = followerAddresses.map((address) => {
    const client = new Peer(address, grpc.credentials.createInsecure());
    const stream = (
      client as unknown as { append(): grpc.ClientDuplexStream<Buffer, Buffer> }
    ).append();
    stream.on('data', (acknowledgement: Buffer) => {
      const index = indexOf(acknowledgement);
      const write = waiting.get(index);
      if (write === undefined) return;
      write.acknowledgements++;
      settle(index, write);
    });
    stream.on('error', (error: Error) => fail(`stream to ${address}: ${error.message}`));
    return stream;
  });
  server.addService(
    { put: { ...PUT, ...passThrough } },
    {
      put: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        if (call.request.length > MAX_REQUEST_BYTES) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'request too large' });
          return;
        }
        const index = nextIndex++;
        const entry = Buffer.allocUnsafe(INDEX_BYTES + call.request.length);
        entry.writeBigUInt64BE(BigInt(index));
        call.request.copy(entry, INDEX_BYTES);
        const write: Waiting = { acknowledgements: 0, durable: false, callback };
        waiting.set(index, write);
        for (const stream of streams) stream.write(entry);
        persist(index, entry).then(
          () => {
            write.durable = true;
            settle(index, write);
          },
          (error: unknown) => fail(`log write failed: ${String(error)}`),
        );
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
