/**
 * The sending side of the gRPC transport for one peer: a persistent channel, one long-lived
 * `Send` stream carrying batches, a bounded queue in front of it, reconnection with backoff, and
 * snapshots streamed on their own `InstallSnapshot` calls.
 *
 * Latency: a message queued by `enqueue` is written on the next microtask — no timer stands
 * between Raft and the socket. Batching comes from the writes in flight: while the stream is
 * busy (maxInflightWritesPerPeer writes not yet flushed, or write() returned false), messages
 * accumulate and the next turn writes them all in one MessageBatch.
 *
 * grpc-js specifics this relies on:
 * - a client-streaming call reports its failure only through the call's callback (not through
 *   write callbacks); an 'error' listener still guards against write-after-end events;
 * - retries are disabled and the retry buffer set to zero so a write's callback fires only when
 *   gRPC has handed the message to HTTP/2 (real backpressure, no hidden 256 KiB buffer per call).
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { NodeId, StorageHealth } from '../lib/index.ts';
import type { Message } from '../raft/types.ts';
import type { InstallSnapshotResponse__Output } from '../gen/baton/raft/v1/InstallSnapshotResponse.ts';
import type { SendResponse__Output } from '../gen/baton/raft/v1/SendResponse.ts';
import type { SnapshotChunk } from '../gen/baton/raft/v1/SnapshotChunk.ts';
import type { OutgoingBatch } from './batch-encoder.ts';
import { encodeMessage, encodeSnapshotMeta, estimateMessageBytes } from './codec.ts';
import { SnapshotTransferError } from './errors.ts';
import type { TransportLimits } from './limits.ts';
import { SendQueue } from './send-queue.ts';
import { PeerCounters } from './stats.ts';
import type { DropReason, TransportMetrics } from './stats.ts';

/**
 * The RaftPeer client the transport uses: the generated one, except that Send takes the core's
 * messages and encodes them itself (batch-encoder.ts).
 */
export interface PeerClient extends grpc.Client {
  send(
    callback: grpc.requestCallback<SendResponse__Output>,
  ): grpc.ClientWritableStream<OutgoingBatch>;
  installSnapshot(
    options: grpc.CallOptions,
    callback: grpc.requestCallback<InstallSnapshotResponse__Output>,
  ): grpc.ClientWritableStream<SnapshotChunk>;
}

export type PeerClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => PeerClient;

/** Channel settings for peers: fail fast, reconnect fast, detect a silent peer within ~2 s. */
export const PEER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 1000,
  'grpc.keepalive_timeout_ms': 1000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.enable_retries': 0,
  'grpc.per_rpc_retry_buffer_size': 0,
  // Distinct peers must not share one HTTP/2 connection pool entry by accident.
  'grpc.use_local_subchannel_pool': 1,
  // Baton serves no channelz service; its per-call bookkeeping is pure overhead.
  'grpc.enable_channelz': 0,
};

export interface PeerEvents {
  unreachable(peer: NodeId): void;
  snapshotStatus(peer: NodeId, status: 'finished' | 'failed'): void;
}

export interface GrpcPeerOptions {
  readonly clusterId: string;
  readonly self: NodeId;
  readonly peer: NodeId;
  readonly address: string;
  readonly clientConstructor: PeerClientConstructor;
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  readonly limits: TransportLimits;
  readonly logger: Logger;
  readonly metrics: TransportMetrics;
  readonly events: PeerEvents;
  /** This node's storage report, sent with each batch. */
  readonly localStorage: () => StorageHealth;
  /** Jitter source for backoff in [0, 1). */
  readonly random: () => number;
}

type SendStream = grpc.ClientWritableStream<OutgoingBatch>;

export class GrpcPeer {
  readonly address: string;
  readonly counters = new PeerCounters();
  private readonly client: PeerClient;
  private readonly queue: SendQueue;
  private readonly logger: Logger;
  private stream: SendStream | null = null;
  private inflightWrites = 0;
  private awaitingDrain = false;
  private flushScheduled = false;
  private backoffTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private failedAttempts = 0;
  private unreachableReportPending = false;
  private oversizedDrops = 0;
  private snapshotCall: grpc.ClientWritableStream<SnapshotChunk> | null = null;
  private closed = false;

  constructor(private readonly options: GrpcPeerOptions) {
    this.address = options.address;
    this.logger = options.logger.child({ peer: options.peer, peerAddress: options.address });
    this.client = new options.clientConstructor(
      options.address,
      options.credentials,
      options.channelOptions,
    );
    this.queue = new SendQueue(
      options.limits.maxQueuedMessagesPerPeer,
      options.limits.maxQueuedBytesPerPeer,
    );
  }

  enqueue(message: Message): void {
    if (this.closed) {
      this.drop(1, 'closed');
      return;
    }
    const sizeBytes = estimateMessageBytes(message);
    if (sizeBytes > this.options.limits.maxMessageBytes) {
      this.oversizedDrops += 1;
      // Raft resends the same message: log the 1st, 2nd, 4th, 8th … drop, not every one.
      if ((this.oversizedDrops & (this.oversizedDrops - 1)) === 0) {
        this.logger.warn(
          {
            type: message.type,
            sizeBytes,
            maxMessageBytes: this.options.limits.maxMessageBytes,
            drops: this.oversizedDrops,
          },
          'dropping a Raft message larger than the transport maxMessageBytes; set the Raft maxMessageBytes lower',
        );
      }
      this.drop(1, 'oversized');
      return;
    }
    if (!this.queue.push(message, sizeBytes)) {
      this.drop(1, 'queueFull');
      // A full queue means the peer is not keeping up or not there: let Raft probe it.
      this.reportUnreachableSoon();
      return;
    }
    this.scheduleFlush();
  }

  /** Streams `message.snapshot` in chunks; the outcome arrives through events.snapshotStatus. */
  sendSnapshot(message: Message): void {
    if (this.closed || this.snapshotCall !== null) {
      // One snapshot per peer at a time: Raft sends another only after a status report.
      this.counters.snapshotsFailed += 1;
      setImmediate(() => {
        this.options.events.snapshotStatus(this.options.peer, 'failed');
      });
      return;
    }
    this.streamSnapshot(message).then(
      (bytes) => {
        this.counters.snapshotsFinished += 1;
        this.options.metrics.snapshotSent?.(this.options.peer, bytes, 'finished');
        this.options.events.snapshotStatus(this.options.peer, 'finished');
      },
      (error: unknown) => {
        this.counters.snapshotsFailed += 1;
        this.options.metrics.snapshotSent?.(this.options.peer, 0, 'failed');
        if (!this.closed) this.logger.warn({ err: error }, 'snapshot transfer failed');
        this.options.events.snapshotStatus(this.options.peer, 'failed');
      },
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    this.clearConnectTimer();
    this.drop(this.queue.clear(), 'closed');
    const stream = this.stream;
    this.stream = null;
    stream?.cancel();
    this.snapshotCall?.cancel();
    this.client.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.backoffTimer !== null) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.backoffTimer !== null || this.queue.length === 0) return;
    const stream = this.stream ?? this.openStream();
    const { maxInflightWritesPerPeer, maxBatchMessages, maxBatchBytes } = this.options.limits;
    while (
      this.queue.length > 0 &&
      this.inflightWrites < maxInflightWritesPerPeer &&
      !this.awaitingDrain
    ) {
      const { messages, bytes } = this.queue.takeBatch(maxBatchMessages, maxBatchBytes);
      const batch: OutgoingBatch = {
        clusterId: this.options.clusterId,
        from: this.options.self,
        messages,
        storage: this.options.localStorage(),
      };
      this.inflightWrites += 1;
      const accepted = stream.write(batch, () => {
        this.onWritten(stream);
      });
      this.counters.sentBatches += 1;
      this.counters.sentMessages += messages.length;
      if (messages.length > this.counters.maxBatchMessages)
        this.counters.maxBatchMessages = messages.length;
      this.options.metrics.batchSent?.(this.options.peer, messages.length, bytes);
      if (!accepted) {
        this.awaitingDrain = true;
        stream.once('drain', () => {
          if (stream !== this.stream) return;
          this.awaitingDrain = false;
          this.scheduleFlush();
        });
      }
    }
    this.updateQueueCounters();
  }

  private onWritten(stream: SendStream): void {
    if (stream !== this.stream) return;
    this.inflightWrites -= 1;
    // The write reached HTTP/2 on a live connection: the peer is reachable again.
    if (
      (this.failedAttempts > 0 || this.connectTimer !== null) &&
      this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY
    ) {
      this.failedAttempts = 0;
      this.clearConnectTimer();
    }
    if (this.queue.length > 0) this.scheduleFlush();
  }

  private openStream(): SendStream {
    const stream = this.client.send((error) => {
      this.onStreamEnded(stream, error);
    });
    // Failures arrive through the callback above; this listener keeps a late write-after-end
    // event from becoming an uncaught exception.
    stream.on('error', (error: unknown) => {
      this.logger.debug({ err: error }, 'peer stream error event');
    });
    this.stream = stream;
    this.inflightWrites = 0;
    this.awaitingDrain = false;
    this.clearConnectTimer();
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (stream !== this.stream) return;
      if (this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY)
        return;
      this.logger.debug(
        { connectTimeoutMs: this.options.limits.connectTimeoutMs },
        'peer connection not up in time',
      );
      // Ends the call through its callback (CANCELLED): reported unreachable, retried after backoff.
      stream.cancel();
    }, this.options.limits.connectTimeoutMs);
    this.connectTimer.unref();
    return stream;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private onStreamEnded(stream: SendStream, error: grpc.ServiceError | null): void {
    if (stream !== this.stream || this.closed) return;
    this.stream = null;
    this.clearConnectTimer();
    this.inflightWrites = 0;
    this.awaitingDrain = false;
    this.counters.failedStreams += 1;
    const code = error?.code ?? grpc.status.OK;
    if (
      code === grpc.status.PERMISSION_DENIED ||
      code === grpc.status.FAILED_PRECONDITION ||
      code === grpc.status.INVALID_ARGUMENT
    ) {
      this.logger.error(
        { code, details: error?.details },
        'peer refused our Raft stream; check that both nodes have the same cluster id and that the peer address belongs to this node id',
      );
    } else {
      this.logger.debug(
        { code, details: error?.details },
        'peer stream ended; reconnecting with backoff',
      );
    }
    this.reportUnreachable();
    this.startBackoff();
  }

  private startBackoff(): void {
    const { backoffInitialMs, backoffMaxMs } = this.options.limits;
    const ceilingMs = Math.min(
      backoffMaxMs,
      backoffInitialMs * 2 ** Math.min(this.failedAttempts, 20),
    );
    this.failedAttempts += 1;
    // Equal jitter: spread reconnects of many senders, yet never retry immediately.
    const delayMs = ceilingMs / 2 + (this.options.random() * ceilingMs) / 2;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      this.scheduleFlush();
    }, delayMs);
    this.backoffTimer.unref();
  }

  private reportUnreachable(): void {
    this.options.metrics.peerUnreachable?.(this.options.peer);
    this.options.events.unreachable(this.options.peer);
  }

  /** Reports at most once per turn, and never from inside the caller's send(). */
  private reportUnreachableSoon(): void {
    if (this.unreachableReportPending) return;
    this.unreachableReportPending = true;
    setImmediate(() => {
      this.unreachableReportPending = false;
      if (!this.closed) this.reportUnreachable();
    });
  }

  private drop(count: number, reason: DropReason): void {
    if (count === 0) return;
    this.counters.droppedMessages += count;
    this.options.metrics.messagesDropped?.(this.options.peer, count, reason);
    this.updateQueueCounters();
  }

  private updateQueueCounters(): void {
    this.counters.queuedMessages = this.queue.length;
    this.counters.queuedBytes = this.queue.bytes;
  }

  private async streamSnapshot(message: Message): Promise<number> {
    const snapshot = message.snapshot;
    if (snapshot === null)
      throw new SnapshotTransferError(
        this.options.peer,
        'the snapshot message carries no snapshot',
      );
    const data = snapshot.data;
    const { snapshotChunkBytes, snapshotTimeoutMs } = this.options.limits;
    const deadline = new Date(Date.now() + snapshotTimeoutMs);
    let settle: (error: grpc.ServiceError | null) => void = () => undefined;
    const finished = new Promise<grpc.ServiceError | null>((resolve) => {
      settle = resolve;
    });
    const call = this.client.installSnapshot({ deadline }, (error) => {
      settle(error);
    });
    call.on('error', (error: unknown) => {
      this.logger.debug({ err: error }, 'snapshot stream error event');
    });
    this.snapshotCall = call;
    let failure: grpc.ServiceError | null = null;
    void finished.then((error) => {
      failure = error;
    });
    try {
      const header: SnapshotChunk = {
        header: {
          clusterId: this.options.clusterId,
          from: this.options.self,
          message: { ...encodeMessage(message), entries: [] },
          meta: encodeSnapshotMeta(snapshot.meta),
          totalBytes: data.length,
          sha256: createHash('sha256').update(data).digest(),
        },
      };
      await writeWithFlowControl(call, header, finished);
      for (let offset = 0; offset < data.length; offset += snapshotChunkBytes) {
        if (failure !== null || this.closed) break;
        // subarray: no copy here; the serializer copies one chunk at a time.
        await writeWithFlowControl(
          call,
          { data: data.subarray(offset, offset + snapshotChunkBytes) },
          finished,
        );
        this.counters.snapshotChunksSent += 1;
      }
      call.end();
      const error = await finished;
      if (error !== null) {
        throw new SnapshotTransferError(
          this.options.peer,
          `${grpc.status[error.code]}: ${error.details}`,
          { cause: error },
        );
      }
      if (this.closed) throw new SnapshotTransferError(this.options.peer, 'the transport closed');
      return data.length;
    } finally {
      this.snapshotCall = null;
    }
  }
}

/**
 * Writes one chunk and waits until gRPC has handed it to HTTP/2 (and for 'drain' if the stream's
 * buffer is full), or until the call ends — a failed call does not run pending write callbacks.
 */
async function writeWithFlowControl(
  call: grpc.ClientWritableStream<SnapshotChunk>,
  chunk: SnapshotChunk,
  finished: Promise<unknown>,
): Promise<void> {
  const written = new Promise<void>((resolve) => {
    let handedOver = false;
    let drained = true;
    const accepted = call.write(chunk, () => {
      handedOver = true;
      if (drained) resolve();
    });
    if (!accepted) {
      drained = false;
      call.once('drain', () => {
        drained = true;
        if (handedOver) resolve();
      });
    }
  });
  await Promise.race([written, finished]);
}
