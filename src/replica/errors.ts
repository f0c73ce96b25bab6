import { BatonError, formatBytes } from '../lib/index.ts';

/** Too many proposals are waiting to be applied on this node; the caller should back off. */
export class PendingProposalLimitError extends BatonError {
  override readonly name = 'PendingProposalLimitError';

  constructor(limit: number) {
    super(
      'RESOURCE_EXHAUSTED',
      `more than ${limit} proposals are pending on this node (replica.maxPendingProposals); retry after a short backoff`,
    );
  }
}

/** Too many linearizable reads are waiting for their read index. */
export class PendingReadLimitError extends BatonError {
  override readonly name = 'PendingReadLimitError';

  constructor(limit: number) {
    super(
      'RESOURCE_EXHAUSTED',
      `more than ${limit} linearizable reads are pending on this node (replica.maxPendingReads); retry after a short backoff`,
    );
  }
}

/** A proposal or read did not settle in time. Its effect is unknown: a proposal may still commit. */
export class RequestTimeoutError extends BatonError {
  override readonly name = 'RequestTimeoutError';

  constructor(what: string, timeoutMs: number) {
    super(
      'DEADLINE_EXCEEDED',
      `${what} did not complete within ${timeoutMs} ms (replica.requestTimeoutMs); is a quorum of nodes up? A write may still have been applied`,
    );
  }
}

/** The replica is shutting down or has stopped. */
export class ReplicaStoppedError extends BatonError {
  override readonly name = 'ReplicaStoppedError';

  constructor(reason = 'this node is shutting down') {
    super('UNAVAILABLE', `${reason}; retry on another node`);
  }
}

/** Leadership did not move to the requested node in time. */
export class TransferFailedError extends BatonError {
  override readonly name = 'TransferFailedError';

  constructor(target: string, timeoutMs: number) {
    super(
      'UNAVAILABLE',
      `leadership did not move to ${target} within ${timeoutMs} ms (replica.transferTimeoutMs); it may be lagging or unreachable`,
    );
  }
}

/** A membership request is invalid for the current membership. */
export class MembershipError extends BatonError {
  override readonly name = 'MembershipError';
}

/** A replicated command was rejected by the state machine (it changed nothing). */
export class CommandRejectedError extends BatonError {
  override readonly name = 'CommandRejectedError';

  constructor(reason: string) {
    super('FAILED_PRECONDITION', `command rejected: ${reason}`);
  }
}

/** The data directory says this node is no longer a member: it was removed from the cluster. */
export class NodeRemovedError extends BatonError {
  override readonly name = 'NodeRemovedError';

  /** @param evidence what in the directory says so */
  constructor(nodeId: string, clusterId: string, dataDir: string, evidence: string) {
    super(
      'FAILED_PRECONDITION',
      `node ${nodeId} was removed from cluster ${clusterId} (${evidence}, in ${dataDir}). ` +
        `A removed node does not come back with its old data: wipe the data directory, start the node with --join, ` +
        `and add it again with \`baton cluster add-node --id ${nodeId} --address <host:port>\``,
    );
  }
}

/** A voter low on disk, as the leader knows it. */
export interface LowDiskVoter {
  readonly id: string;
  readonly freeBytes: number;
}

/** "voter n3 (12.0 MiB free)", "voters n2 (…), n3 (…)": the members a disk refusal is about. */
function describeLowVoters(voters: readonly LowDiskVoter[]): string {
  const which = voters
    .map((voter) => `${voter.id} (${formatBytes(voter.freeBytes)} free)`)
    .join(', ');
  return `${voters.length === 1 ? 'voter' : 'voters'} ${which}`;
}

/**
 * The leader refuses a new client write because a voter's data volume is below its free-space
 * minimum: the write could still be stored, but the cluster would then run on until that voter's
 * disk filled and it stopped. Reads go on, and so does the work already admitted: running
 * workflows progress, retention prunes closed ones, membership changes commit.
 */
export class DiskSpaceLowError extends BatonError {
  override readonly name = 'DiskSpaceLowError';

  constructor(readonly voters: readonly LowDiskVoter[]) {
    super(
      'RESOURCE_EXHAUSTED',
      `writes are refused: the data volume of ${describeLowVoters(voters)} is below its storage.minFreeDiskBytes. ` +
        'Make room there (or give it a larger volume); writes resume by themselves once it reports enough free space',
    );
  }
}

/** Every write but membership and retention pruning is refused while a voter is this low. */
export class DiskSpaceCriticalError extends BatonError {
  override readonly name = 'DiskSpaceCriticalError';

  constructor(readonly voters: readonly LowDiskVoter[]) {
    super(
      'RESOURCE_EXHAUSTED',
      `every write is refused: the data volume of ${describeLowVoters(voters)} is below its storage.criticalFreeDiskBytes, the last reserve. ` +
        'Make room there now (or give it a larger volume); writes resume by themselves once it reports enough free space',
    );
  }
}
