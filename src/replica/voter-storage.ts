import { HEALTHY_STORAGE } from '../lib/index.ts';
import type { NodeId, StorageHealth } from '../lib/index.ts';
import type { LowDiskVoter } from './errors.ts';

/**
 * What this node knows of every member's storage: its own from its disk-space monitor, the
 * others' from the reports their batches carry. A leader hears from every voter at least once a
 * heartbeat interval, so its view is at most that old; a new leader learns its voters' from their
 * vote and heartbeat responses. Members not heard from count as healthy.
 */
export class VoterStorage {
  private local: StorageHealth = HEALTHY_STORAGE;
  private readonly peers = new Map<NodeId, StorageHealth>();

  constructor(private readonly self: NodeId) {}

  setLocal(storage: StorageHealth): void {
    this.local = storage;
  }

  setPeer(peer: NodeId, storage: StorageHealth): void {
    this.peers.set(peer, storage);
  }

  /** What is known of `member`'s storage: healthy unless it said otherwise. */
  of(member: NodeId): StorageHealth {
    return member === this.self ? this.local : (this.peers.get(member) ?? HEALTHY_STORAGE);
  }

  /** Whether any of `voters` is low on disk (allocates nothing: every client write asks). */
  anyLow(voters: readonly NodeId[]): boolean {
    for (const voter of voters) if (this.of(voter).diskLow) return true;
    return false;
  }

  /** The voters low on disk, in `voters` order. */
  lowVoters(voters: readonly NodeId[]): LowDiskVoter[] {
    const low: LowDiskVoter[] = [];
    for (const voter of voters) {
      const storage = this.of(voter);
      if (storage.diskLow) low.push({ id: voter, freeBytes: storage.diskFreeBytes });
    }
    return low;
  }
}
