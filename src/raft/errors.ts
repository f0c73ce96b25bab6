import { BatonError } from '../lib/index.ts';
import type { LogIndex, NodeId } from '../lib/index.ts';

/** This node is not the leader. `leaderHint` is the leader it last heard of, if any. */
export class NotLeaderError extends BatonError {
  override readonly name = 'NotLeaderError';
  readonly leaderHint: NodeId | null;

  constructor(leaderHint: NodeId | null) {
    super(
      'UNAVAILABLE',
      leaderHint === null
        ? 'this node is not the leader and no leader is known yet; retry shortly'
        : `this node is not the leader; the leader is ${leaderHint}`,
    );
    this.leaderHint = leaderHint;
  }
}

/** The proposal was not accepted (e.g. a leadership transfer is in progress); retrying may succeed. */
export class ProposalDroppedError extends BatonError {
  override readonly name = 'ProposalDroppedError';

  constructor(reason: string) {
    super('UNAVAILABLE', `proposal dropped: ${reason}`);
  }
}

/** The leader holds too many uncommitted bytes (no quorum keeping up); back off. */
export class UncommittedLimitError extends BatonError {
  override readonly name = 'UncommittedLimitError';

  constructor(limitBytes: number) {
    super(
      'RESOURCE_EXHAUSTED',
      `the leader has more than ${limitBytes} bytes of uncommitted entries (is a quorum reachable?); retry later`,
    );
  }
}

/** A membership change cannot be proposed now, or is not valid. */
export class ConfChangeRejectedError extends BatonError {
  override readonly name: string = 'ConfChangeRejectedError';

  constructor(reason: string) {
    super('FAILED_PRECONDITION', `membership change rejected: ${reason}`);
  }
}

/**
 * A membership change that may not go *yet*: the leader has not committed an entry of its term,
 * or an earlier change is still uncommitted. Passing; the host may retry shortly.
 */
export class ConfChangePendingError extends ConfChangeRejectedError {
  override readonly name = 'ConfChangePendingError';
}

/** Storage: the requested index lies before the first retained entry (it was compacted). */
export class CompactedError extends BatonError {
  override readonly name = 'CompactedError';

  constructor(index: LogIndex, firstIndex: LogIndex) {
    super('INTERNAL', `log index ${index} is compacted (first retained index is ${firstIndex})`);
  }
}

/** Storage: the requested index lies past the last entry. */
export class UnavailableError extends BatonError {
  override readonly name = 'UnavailableError';

  constructor(index: LogIndex, lastIndex: LogIndex) {
    super('INTERNAL', `log index ${index} is past the last entry (${lastIndex})`);
  }
}

/** Storage: a snapshot is being prepared; the core retries later. */
export class SnapshotTemporarilyUnavailableError extends BatonError {
  override readonly name = 'SnapshotTemporarilyUnavailableError';

  constructor() {
    super('UNAVAILABLE', 'snapshot temporarily unavailable');
  }
}
