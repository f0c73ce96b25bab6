/**
 * Errors of the peer transport. Operating conditions (a peer down, a stream from another
 * cluster, a malformed message) are typed errors that are counted and logged; they never crash
 * the node.
 */
import { BatonError } from '../lib/index.ts';
import type { ErrorCode } from '../lib/index.ts';

/** A transport limit is missing, not a positive integer, or inconsistent with another limit. */
export class InvalidTransportLimitsError extends BatonError {
  override readonly name = 'InvalidTransportLimitsError';

  constructor(detail: string) {
    super('INVALID_ARGUMENT', `invalid transport limits: ${detail}`);
  }
}

/** A peer address gRPC cannot use. */
export class InvalidPeerAddressError extends BatonError {
  override readonly name = 'InvalidPeerAddressError';

  constructor(peer: string, address: string, options?: { cause?: unknown }) {
    super(
      'INVALID_ARGUMENT',
      `the address ${JSON.stringify(address)} of peer ${peer} is not a valid host:port`,
      options,
    );
  }
}

/** A peer message that cannot be decoded into a valid Raft message (bad type, missing or out-of-range fields, too large). */
export class MalformedMessageError extends BatonError {
  override readonly name = 'MalformedMessageError';

  constructor(detail: string) {
    super('INVALID_ARGUMENT', `malformed Raft peer message: ${detail}`);
  }
}

/**
 * Why an inbound stream was refused. `reason` is a stable label for metrics; the code becomes
 * the gRPC status the sender sees.
 */
export type InboundRejectReason =
  | 'wrongCluster'
  | 'senderMismatch'
  | 'wrongRecipient'
  | 'malformed'
  | 'tooLarge'
  | 'checksumMismatch'
  | 'tooManySnapshots'
  | 'notStarted'
  | 'closed';

const REJECT_CODES: Record<InboundRejectReason, ErrorCode> = {
  wrongCluster: 'PERMISSION_DENIED',
  senderMismatch: 'FAILED_PRECONDITION',
  wrongRecipient: 'FAILED_PRECONDITION',
  malformed: 'INVALID_ARGUMENT',
  tooLarge: 'RESOURCE_EXHAUSTED',
  checksumMismatch: 'DATA_LOSS',
  tooManySnapshots: 'RESOURCE_EXHAUSTED',
  notStarted: 'UNAVAILABLE',
  closed: 'UNAVAILABLE',
};

/** An inbound Raft stream refused by this node. */
export class InboundRejectedError extends BatonError {
  override readonly name = 'InboundRejectedError';
  readonly reason: InboundRejectReason;

  constructor(reason: InboundRejectReason, message: string, options?: { cause?: unknown }) {
    super(REJECT_CODES[reason], message, options);
    this.reason = reason;
  }
}

/** A snapshot could not be streamed to a peer (peer down, refused, or too slow). */
export class SnapshotTransferError extends BatonError {
  override readonly name = 'SnapshotTransferError';

  constructor(peer: string, detail: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', `sending a snapshot to ${peer} failed: ${detail}`, options);
  }
}
