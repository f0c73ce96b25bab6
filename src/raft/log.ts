/**
 * The core's view of the log: what storage holds durably, plus an unstable tail (and possibly a
 * snapshot) handed to the host to persist but not yet reported durable by `advance`.
 *
 * Indexes, in order: applied <= applying <= committed <= lastIndex.
 * - `applied`: the host has applied up to here (reported by advance).
 * - `applying`: committed entries up to here were handed out in a Ready.
 * - unstable entries with index >= `inProgressEnd` have not yet been handed out to persist.
 */
import { assert, logIndex } from '../lib/index.ts';
import type { LogIndex, Term } from '../lib/index.ts';
import { entrySizeBytes } from './entry.ts';
import type { Entry, RaftStorage, Snapshot } from './types.ts';

export class RaftLog {
  readonly storage: RaftStorage;
  /** A snapshot received from the leader and not yet reported durable. */
  unstableSnapshot: Snapshot | null = null;
  unstableSnapshotInProgress = false;
  /** unstableEntries[k] has index unstableOffset + k. */
  private unstableEntries: Entry[] = [];
  private unstableOffset: LogIndex;
  /** Unstable entries below this index were handed out in a Ready already. */
  private inProgressEnd: LogIndex;
  committed: LogIndex;
  applying: LogIndex;
  applied: LogIndex;

  constructor(storage: RaftStorage, committed: LogIndex, applied: LogIndex) {
    this.storage = storage;
    const last = storage.lastIndex();
    this.unstableOffset = logIndex(last + 1);
    this.inProgressEnd = this.unstableOffset;
    assert(
      committed <= last,
      () => `hard state commit ${committed} is past the last stored entry ${last}`,
    );
    assert(applied <= committed, () => `applied ${applied} is past the commit index ${committed}`);
    this.committed = committed;
    this.applying = applied;
    this.applied = applied;
  }

  firstIndex(): LogIndex {
    if (this.unstableSnapshot) return logIndex(this.unstableSnapshot.meta.index + 1);
    return this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    if (this.unstableEntries.length > 0)
      return logIndex(this.unstableOffset + this.unstableEntries.length - 1);
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** The last index persisted durably (as reported by advance). */
  stableLastIndex(): LogIndex {
    if (this.unstableSnapshot) return logIndex(0);
    if (this.unstableEntries.length > 0) return logIndex(this.unstableOffset - 1);
    return this.storage.lastIndex();
  }

  /** The term of the entry at `index`, or null when it is compacted away or not there. */
  term(index: LogIndex): Term | null {
    if (index >= this.unstableOffset) {
      const entry = this.unstableEntries[index - this.unstableOffset];
      return entry ? entry.term : null;
    }
    if (this.unstableSnapshot) {
      return index === this.unstableSnapshot.meta.index ? this.unstableSnapshot.meta.term : null;
    }
    if (index < this.storage.firstIndex() - 1 || index > this.storage.lastIndex()) return null;
    return this.storage.term(index);
  }

  /** The term at `index`, 0 when not known (etcd's zeroTermOnOutOfBounds). */
  termOrZero(index: LogIndex): number {
    return this.term(index) ?? 0;
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== null, 'the last entry always has a known term');
    return t;
  }

  matchTerm(index: LogIndex, t: Term): boolean {
    return this.term(index) === t;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** The index of the first entry in `entries` that is absent or conflicts with ours, else 0. */
  findConflict(entries: readonly Entry[]): LogIndex {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return logIndex(0);
  }

  /**
   * The largest index <= `index` whose term is <= `t` (and that term), for fast backtracking:
   * every entry in between has a term above `t`, so cannot match a log whose entry at `index`
   * has term `t`.
   */
  findConflictByTerm(index: LogIndex, t: Term): { index: LogIndex; term: Term } {
    let i = index;
    for (;;) {
      const ourTerm = this.term(i);
      if (ourTerm === null) return { index: i, term: 0 as Term };
      if (ourTerm <= t) return { index: i, term: ourTerm };
      i = logIndex(i - 1);
    }
  }

  /**
   * Appends a leader's entries that follow (prevIndex, prevTerm). Returns the last index now
   * known to match the leader, or null when our log does not contain (prevIndex, prevTerm).
   */
  maybeAppend(
    prevIndex: LogIndex,
    prevTerm: Term,
    leaderCommit: LogIndex,
    entries: readonly Entry[],
  ): LogIndex | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = logIndex(prevIndex + entries.length);
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(
        conflict > this.committed,
        () => `entry ${conflict} conflicts with the committed prefix (commit ${this.committed})`,
      );
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    this.commitTo(logIndex(Math.min(leaderCommit, lastNew)));
    return lastNew;
  }

  /** Appends (truncating any conflicting suffix first). Returns the new last index. */
  append(entries: readonly Entry[]): LogIndex {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index;
    assert(
      after > this.committed,
      () => `append at ${after} would overwrite committed entry (commit ${this.committed})`,
    );
    const end = this.unstableOffset + this.unstableEntries.length;
    if (after === end) {
      for (const e of entries) this.unstableEntries.push(e);
    } else if (after <= this.unstableOffset) {
      // Replaces the whole unstable tail and any stored entries from `after` on (the host deletes
      // them when it persists these, as Ready's contract says).
      this.unstableOffset = after;
      this.unstableEntries = entries.slice();
    } else {
      this.unstableEntries.length = after - this.unstableOffset;
      for (const e of entries) this.unstableEntries.push(e);
    }
    if (this.inProgressEnd > after) this.inProgressEnd = after;
    return this.lastIndex();
  }

  commitTo(index: LogIndex): void {
    if (index <= this.committed) return;
    assert(
      index <= this.lastIndex(),
      () => `commit ${index} is past the last index ${this.lastIndex()}`,
    );
    this.committed = index;
  }

  /** Entries in [lo, hi), at least one, at most `maxBytes` in total beyond the first. */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    assert(
      lo >= this.firstIndex() && hi <= this.lastIndex() + 1,
      () => `slice [${lo}, ${hi}) outside the log`,
    );
    let out: Entry[] = [];
    let size = 0;
    if (lo < this.unstableOffset) {
      const storedHi = logIndex(Math.min(hi, this.unstableOffset));
      out = this.storage.entries(lo, storedHi, maxBytes);
      if (out.length < storedHi - lo) return out;
      for (const e of out) size += entrySizeBytes(e);
    }
    const from = Math.max(lo, this.unstableOffset);
    for (let i = from; i < hi; i++) {
      const entry = this.unstableEntries[i - this.unstableOffset]!;
      size += entrySizeBytes(entry);
      if (out.length > 0 && size > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  /** Entries from `lo` to the end, bounded by `maxBytes`; null when `lo` is compacted. */
  entriesFrom(lo: LogIndex, maxBytes: number): Entry[] | null {
    if (lo < this.firstIndex()) return null;
    const last = this.lastIndex();
    if (lo > last) return [];
    return this.slice(lo, logIndex(last + 1), maxBytes);
  }

  // --- Ready handoff ---------------------------------------------------------------------------

  hasEntriesToPersist(): boolean {
    return this.inProgressEnd < this.unstableOffset + this.unstableEntries.length;
  }

  /** The unstable entries not yet handed out; marks them handed out. */
  takeEntriesToPersist(): Entry[] {
    if (!this.hasEntriesToPersist()) return [];
    const out = this.unstableEntries.slice(this.inProgressEnd - this.unstableOffset);
    this.inProgressEnd = logIndex(this.unstableOffset + this.unstableEntries.length);
    return out;
  }

  hasSnapshotToPersist(): boolean {
    return this.unstableSnapshot !== null && !this.unstableSnapshotInProgress;
  }

  takeSnapshotToPersist(): Snapshot | null {
    if (!this.hasSnapshotToPersist()) return null;
    this.unstableSnapshotInProgress = true;
    const snap = this.unstableSnapshot!;
    // Applying the snapshot is the host's first step of applying this Ready.
    if (this.applying < snap.meta.index) this.applying = snap.meta.index;
    return snap;
  }

  /** Committed entries may be handed out once they were handed out to persist (same or earlier Ready). */
  hasCommittedToApply(): boolean {
    if (this.unstableSnapshot && !this.unstableSnapshotInProgress) return false;
    return this.applying < Math.min(this.committed, this.inProgressEnd - 1);
  }

  takeCommittedToApply(maxBytes: number): Entry[] {
    if (!this.hasCommittedToApply()) return [];
    const hi = logIndex(Math.min(this.committed, this.inProgressEnd - 1) + 1);
    const out = this.slice(logIndex(this.applying + 1), hi, maxBytes);
    if (out.length > 0) this.applying = out[out.length - 1]!.index;
    return out;
  }

  /** The host persisted entries up to (index, term). */
  stableTo(index: LogIndex, t: Term): void {
    if (index < this.unstableOffset) return;
    const entry = this.unstableEntries[index - this.unstableOffset];
    // A later append may have replaced this entry since it was handed out: then the newer one is
    // still pending and stays unstable.
    if (!entry || entry.term !== t) return;
    const drop = index - this.unstableOffset + 1;
    this.unstableEntries = this.unstableEntries.slice(drop);
    this.unstableOffset = logIndex(index + 1);
    if (this.inProgressEnd < this.unstableOffset) this.inProgressEnd = this.unstableOffset;
  }

  stableSnapshotTo(index: LogIndex): void {
    if (this.unstableSnapshot && this.unstableSnapshot.meta.index === index) {
      this.unstableSnapshot = null;
      this.unstableSnapshotInProgress = false;
    }
  }

  appliedTo(index: LogIndex): void {
    if (index <= this.applied) return;
    assert(
      index <= this.applying,
      () => `applied ${index} past what was handed out (${this.applying})`,
    );
    this.applied = index;
  }

  /** Installs a leader's snapshot: the whole log is replaced by it. */
  restore(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    this.committed = index;
    this.unstableSnapshot = snapshot;
    this.unstableSnapshotInProgress = false;
    this.unstableOffset = logIndex(index + 1);
    this.unstableEntries = [];
    this.inProgressEnd = this.unstableOffset;
  }
}
