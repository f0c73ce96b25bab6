/**
 * Every queue, batch and message of the transport has a named maximum (STYLE.md habit 8). The
 * defaults fit gRPC's default 4 MiB receive limit, so a node's shared server needs no special
 * options to carry Raft traffic.
 */
import { InvalidTransportLimitsError } from './errors.ts';

export interface TransportLimits {
  /** Messages waiting for one peer. Past it new messages are dropped (Raft retransmits). */
  readonly maxQueuedMessagesPerPeer: number;
  /** Estimated bytes waiting for one peer. Past it new messages are dropped. */
  readonly maxQueuedBytesPerPeer: number;
  /** Most messages in one MessageBatch write. */
  readonly maxBatchMessages: number;
  /** Most estimated bytes in one MessageBatch write (a single larger message goes alone). */
  readonly maxBatchBytes: number;
  /** Largest single Raft message sent or accepted; must stay under the receiver's gRPC message limit. */
  readonly maxMessageBytes: number;
  /** Most entries in one message accepted from a peer. */
  readonly maxEntriesPerMessage: number;
  /** Largest `context` accepted from a peer. */
  readonly maxContextBytes: number;
  /** Batch writes handed to gRPC for one peer and not yet flushed to the socket. */
  readonly maxInflightWritesPerPeer: number;
  /** Size of each InstallSnapshot data chunk sent; the receiver accepts up to maxMessageBytes. */
  readonly snapshotChunkBytes: number;
  /** Largest snapshot accepted from a peer (the receiver holds it in memory while reassembling). */
  readonly maxSnapshotBytes: number;
  /** Snapshots being received at once; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxConcurrentSnapshotReceives: number;
  /** Whole-transfer deadline for sending one snapshot. */
  readonly snapshotTimeoutMs: number;
  /**
   * A new stream whose connection is not up within this time is abandoned and the peer reported
   * unreachable (gRPC itself has no connect timeout: a connect to a silent host hangs for minutes).
   */
  readonly connectTimeoutMs: number;
  /** Reconnect backoff after a stream fails: starts here, doubles, with jitter. */
  readonly backoffInitialMs: number;
  /** Reconnect backoff cap. */
  readonly backoffMaxMs: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  maxQueuedMessagesPerPeer: 4096,
  maxQueuedBytesPerPeer: 64 * MIB,
  maxBatchMessages: 1024,
  maxBatchBytes: 1 * MIB,
  // gRPC's default receive limit is 4 MiB; keep room for the batch envelope.
  maxMessageBytes: 4 * MIB - 64 * 1024,
  maxEntriesPerMessage: 65_536,
  maxContextBytes: 4096,
  maxInflightWritesPerPeer: 4,
  snapshotChunkBytes: 1 * MIB,
  maxSnapshotBytes: 1024 * MIB,
  maxConcurrentSnapshotReceives: 2,
  snapshotTimeoutMs: 300_000,
  connectTimeoutMs: 1000,
  backoffInitialMs: 50,
  backoffMaxMs: 1000,
};

/** Fills in defaults and checks the result; throws InvalidTransportLimitsError. */
export function resolveTransportLimits(overrides: Partial<TransportLimits> = {}): TransportLimits {
  const limits: TransportLimits = { ...DEFAULT_TRANSPORT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new InvalidTransportLimitsError(
        `${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  if (limits.maxBatchBytes > limits.maxMessageBytes) {
    throw new InvalidTransportLimitsError('maxBatchBytes must not exceed maxMessageBytes');
  }
  if (limits.snapshotChunkBytes > limits.maxMessageBytes) {
    throw new InvalidTransportLimitsError('snapshotChunkBytes must not exceed maxMessageBytes');
  }
  if (limits.maxMessageBytes > limits.maxQueuedBytesPerPeer) {
    throw new InvalidTransportLimitsError('maxMessageBytes must not exceed maxQueuedBytesPerPeer');
  }
  if (limits.backoffInitialMs > limits.backoffMaxMs) {
    throw new InvalidTransportLimitsError('backoffInitialMs must not exceed backoffMaxMs');
  }
  return limits;
}
