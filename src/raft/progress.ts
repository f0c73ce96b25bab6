/**
 * The leader's view of one follower's log (etcd-io/raft's tracker.Progress):
 * - `probe`: we do not know where the follower's log ends; send one append at a time and wait for
 *   its answer (or a heartbeat response) before the next.
 * - `replicate`: the follower keeps up; stream appends optimistically, at most
 *   `maxInflightMessages` unacknowledged at a time (the pipeline window).
 * - `snapshot`: the follower needs entries we compacted; a snapshot is on its way, send nothing.
 */
import { assert, logIndex } from '../lib/index.ts';
import type { LogIndex } from '../lib/index.ts';
import type { PeerProgress } from './types.ts';

/** A ring buffer of the last index of each append in flight. */
export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  count = 0;

  constructor(readonly capacity: number) {
    assert(capacity >= 1, 'the in-flight window holds at least one message');
    this.buffer = new Array<number>(capacity).fill(0);
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  add(lastIndex: LogIndex): void {
    assert(!this.full(), 'in-flight window overflow');
    this.buffer[(this.start + this.count) % this.capacity] = lastIndex;
    this.count++;
  }

  /** Frees every message whose last index is <= `index` (acknowledged). */
  freeLE(index: LogIndex): void {
    while (this.count > 0 && this.buffer[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  /** Frees the oldest message (it was probably lost). */
  freeFirst(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match: LogIndex = logIndex(0);
  next: LogIndex;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and is unanswered. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot: LogIndex = logIndex(0);
  /** Set when in snapshot state at one election-timeout sweep: if still so at the next, give up. */
  snapshotStale = false;
  /** The commit index last sent in an append: a follower behind it needs telling. */
  sentCommit: LogIndex = logIndex(0);
  /** It has no base (it joined, or lost its disk): only a snapshot will do. */
  wantsSnapshot = false;
  /** With wantsSnapshot: the snapshot must reach this index (0 until the leader fixes it). */
  snapshotAtLeast: LogIndex = logIndex(0);
  /** Heard from since the last check-quorum sweep. */
  recentActive = false;
  learner: boolean;
  readonly inflights: Inflights;

  constructor(next: LogIndex, maxInflightMessages: number, learner: boolean) {
    this.next = next;
    this.learner = learner;
    this.inflights = new Inflights(maxInflightMessages);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = logIndex(0);
    this.snapshotStale = false;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = logIndex(Math.max(this.match + 1, pending + 1));
    } else {
      this.resetState('probe');
      this.next = logIndex(this.match + 1);
    }
  }

  /**
   * The follower holds nothing (it joined, or its disk was wiped and it started again with
   * `--join`), whatever it acknowledged before: probe it from scratch, with a snapshot. Lowering
   * `match` only makes later commits wait for others; nothing committed is undone. The snapshot
   * must hold everything committed so far: some of it may have been committed on the strength
   * of what this node acknowledged before it lost it, and once it has a base it votes again.
   */
  restartFromSnapshot(): void {
    this.resetState('probe');
    this.match = logIndex(0);
    this.next = logIndex(1);
    this.wantsSnapshot = true;
    this.snapshotAtLeast = logIndex(0);
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = logIndex(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** A success response up to `index`. Returns whether it told us anything new. */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
      this.wantsSnapshot = false;
    }
    if (this.next < index + 1) this.next = logIndex(index + 1);
    return updated;
  }

  /** We sent entries up to `lastIndex` (possibly none: a commit-only append). */
  sentEntries(lastIndex: LogIndex, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = logIndex(lastIndex + 1);
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * A rejection of the append at `rejected`, with the index to retry from. Returns false when the
   * rejection is stale (answers an append we have already moved past).
   */
  maybeDecrTo(rejected: LogIndex, retryFrom: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = logIndex(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = logIndex(Math.max(Math.min(rejected, retryFrom + 1), this.match + 1));
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  view(): PeerProgress {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      inflight: this.inflights.count,
      recentActive: this.recentActive,
      learner: this.learner,
    };
  }
}
