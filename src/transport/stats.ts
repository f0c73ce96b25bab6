/**
 * What a transport counts, for tests, benchmarks and the metrics the replica exports. Counters
 * only grow; queue figures are current values.
 */
import type { NodeId } from '../lib/index.ts';
import type { InboundRejectReason } from './errors.ts';

/** Why an outbound message was not sent. */
export type DropReason = 'queueFull' | 'oversized' | 'unknownPeer' | 'unreachable' | 'closed';

export interface PeerTransportStats {
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  readonly sentMessages: number;
  readonly sentBatches: number;
  /** Largest batch written so far, in messages. */
  readonly maxBatchMessages: number;
  readonly droppedMessages: number;
  /** Streams that failed (each one reported through onUnreachable). */
  readonly failedStreams: number;
  readonly snapshotsFinished: number;
  readonly snapshotsFailed: number;
  /** Snapshot data chunks written (gRPC) or 1 per snapshot (memory). */
  readonly snapshotChunksSent: number;
}

export interface TransportStats {
  readonly peers: ReadonlyMap<NodeId, PeerTransportStats>;
  readonly droppedUnknownPeer: number;
  readonly receivedMessages: number;
  readonly receivedBatches: number;
  readonly receivedSnapshots: number;
  readonly rejected: Readonly<Partial<Record<InboundRejectReason, number>>>;
}

/** Optional hooks the replica wires to prom-client. Called synchronously; keep them cheap. */
export interface TransportMetrics {
  messagesDropped?(peer: NodeId, count: number, reason: DropReason): void;
  batchSent?(peer: NodeId, messages: number, bytes: number): void;
  inboundRejected?(reason: InboundRejectReason): void;
  peerUnreachable?(peer: NodeId): void;
  snapshotSent?(peer: NodeId, bytes: number, status: 'finished' | 'failed'): void;
}

/** Both implementations expose their counters. */
export interface TransportStatsSource {
  stats(): TransportStats;
}

export class PeerCounters implements PeerTransportStats {
  queuedMessages = 0;
  queuedBytes = 0;
  sentMessages = 0;
  sentBatches = 0;
  maxBatchMessages = 0;
  droppedMessages = 0;
  failedStreams = 0;
  snapshotsFinished = 0;
  snapshotsFailed = 0;
  snapshotChunksSent = 0;

  snapshot(): PeerTransportStats {
    return {
      queuedMessages: this.queuedMessages,
      queuedBytes: this.queuedBytes,
      sentMessages: this.sentMessages,
      sentBatches: this.sentBatches,
      maxBatchMessages: this.maxBatchMessages,
      droppedMessages: this.droppedMessages,
      failedStreams: this.failedStreams,
      snapshotsFinished: this.snapshotsFinished,
      snapshotsFailed: this.snapshotsFailed,
      snapshotChunksSent: this.snapshotChunksSent,
    };
  }
}
