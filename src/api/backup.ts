/**
 * Admin.Backup: streams this node's state (a fresh export at its applied index) to the caller,
 * header first, then the bytes in chunks that respect the stream's flow control.
 */
import type * as grpc from '@grpc/grpc-js';
import type { BackupChunk } from '../gen/baton/v1/BackupChunk.ts';
import type { BackupRequest__Output } from '../gen/baton/v1/BackupRequest.ts';
import { BatonError } from '../lib/index.ts';
import type { Replica } from '../replica/index.ts';
import { crc32c } from '../storage/index.ts';

/** At most this many state bytes per message (and at most half the largest message allowed). */
const MAX_CHUNK_BYTES = 1 << 20;
/** How long a node behind the requested index may take to apply it before it refuses. */
const MIN_INDEX_WAIT_MS = 5_000;
const MIN_INDEX_POLL_MS = 10;

export type BackupCall = grpc.ServerWritableStream<BackupRequest__Output, BackupChunk>;

export async function streamBackup(
  call: BackupCall,
  replica: Replica,
  maxMessageBytes: number,
): Promise<void> {
  const minIndex = validateMinIndex(call.request.minIndex);
  await waitForApplied(call, replica, minIndex);
  const snapshot = await replica.exportState();
  const { data, meta } = snapshot;
  if (meta.index < minIndex) {
    // An export begins after the request (exportState waits for the next), so this is not expected.
    throw new BatonError(
      'UNAVAILABLE',
      `node ${replica.id} exported its state at index ${meta.index}, before the requested ${minIndex}; ask again`,
    );
  }
  if (meta.index === 0) {
    // A node still joining (or a cluster that never wrote anything): nothing worth restoring.
    throw new BatonError(
      'UNAVAILABLE',
      `node ${replica.id} holds no state yet (it has applied nothing); ask another node`,
    );
  }
  const chunkBytes = Math.min(MAX_CHUNK_BYTES, Math.floor(maxMessageBytes / 2));
  await send(call, {
    header: {
      clusterId: replica.clusterId,
      nodeId: replica.id,
      index: meta.index,
      term: meta.term,
      voters: [...meta.conf.voters],
      learners: [...meta.conf.learners],
      dataBytes: data.length,
      dataCrc32c: crc32c(data),
    },
    data: Buffer.alloc(0),
  });
  for (let at = 0; at < data.length; at += chunkBytes) {
    if (call.cancelled) return;
    await send(call, { data: data.subarray(at, at + chunkBytes) });
  }
  call.end();
}

function validateMinIndex(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new BatonError('INVALID_ARGUMENT', 'min_index: expected a log index (0 for any)');
  return value;
}

/**
 * A node cut off from the leader, or still catching up, holds a state behind the cluster's: it
 * waits a little for the requested index and then refuses, so the caller asks another node
 * rather than saving a backup that silently lacks acknowledged writes.
 */
async function waitForApplied(call: BackupCall, replica: Replica, minIndex: number): Promise<void> {
  const deadline = performance.now() + MIN_INDEX_WAIT_MS;
  while (replica.appliedIndex() < minIndex) {
    if (call.cancelled) throw new BatonError('CANCELLED', 'the backup was cancelled');
    if (performance.now() >= deadline) {
      throw new BatonError(
        'UNAVAILABLE',
        `node ${replica.id} has applied the log up to index ${replica.appliedIndex()}, not the requested ${minIndex}, within ${MIN_INDEX_WAIT_MS} ms: ` +
          'it is behind the cluster (cut off from the leader, or catching up); ask another node',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, MIN_INDEX_POLL_MS));
  }
}

/** Writes one message; waits for the stream to drain when its buffer is full (or the call to end). */
function send(call: BackupCall, chunk: BackupChunk): Promise<void> {
  if (call.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('close', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('close', done);
    call.on('cancelled', done);
  });
}
