import { HEALTHY_STORAGE } from '../lib/index.ts';
import type { NodeId, StorageHealth } from '../lib/index.ts';
import type { LowDiskVoter } from './errors.ts';

/**
 * What this node knows of every member's storage: its own from its disk-space monitor, the
 * others' from the reports their batches carry. A leader hears from every voter at least once a
 * heartbeat interval, so its view is at most that old; a new leader learns its voters' from their
 * vote and heartbeat responses. Members not heard from count as healthy.
 *
 * A peer's low (or critical) report counts only while the peer is still heard from (`isHeard`).
 * A voter that went down or was cut off receives no entries, so the writes cannot fill its
 * volume; holding them back for it would let one dead node stop a cluster Raft keeps running
 * without it. Its first message after it comes back carries its report again.
 */
export class VoterStorage {
  private local: StorageHealth = HEALTHY_STORAGE;
  private readonly peers = new Map<NodeId, StorageHealth>();

  constructor(
    private readonly self: NodeId,
    private readonly isHeard: (peer: NodeId) => boolean,
  ) {}

  setLocal(storage: StorageHealth): void {
    this.local = storage;
  }

  setPeer(peer: NodeId, storage: StorageHealth): void {
    this.peers.set(peer, storage);
  }

  /** The last report `member` sent (this node's own for itself), however old. */
  reported(member: NodeId): StorageHealth {
    return member === this.self ? this.local : (this.peers.get(member) ?? HEALTHY_STORAGE);
  }

  /** What counts of `member`'s storage: healthy unless it said otherwise and is still heard. */
  of(member: NodeId): StorageHealth {
    const storage = this.reported(member);
    if (!storage.diskLow || member === this.self || this.isHeard(member)) return storage;
    return HEALTHY_STORAGE;
  }

  /** Whether any of `voters` is low on disk (allocates nothing: every client write asks). */
  anyLow(voters: readonly NodeId[]): boolean {
    for (const voter of voters) if (this.of(voter).diskLow) return true;
    return false;
  }

  /** The voters low on disk, in `voters` order. */
  lowVoters(voters: readonly NodeId[]): LowDiskVoter[] {
    return this.collect(voters, (storage) => storage.diskLow);
  }

  /**
   * The voters below their last reserve, in `voters` order. Every proposal asks, so it allocates
   * only when some voter is low.
   */
  criticalVoters(voters: readonly NodeId[]): readonly LowDiskVoter[] {
    if (!this.anyLow(voters)) return NONE;
    return this.collect(voters, (storage) => storage.diskCritical);
  }

  private collect(
    voters: readonly NodeId[],
    include: (storage: StorageHealth) => boolean,
  ): LowDiskVoter[] {
    const found: LowDiskVoter[] = [];
    for (const voter of voters) {
      const storage = this.of(voter);
      if (include(storage)) found.push({ id: voter, freeBytes: storage.diskFreeBytes });
    }
    return found;
  }
}

const NONE: readonly LowDiskVoter[] = Object.freeze([]);
