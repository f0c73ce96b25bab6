import { assert, INDEX_ZERO, logIndex, TERM_ZERO } from '../lib/index.ts';
import type { LogIndex, Term } from '../lib/index.ts';
import { entrySizeBytes } from './entry.ts';
import { CompactedError, UnavailableError } from './errors.ts';
import type {
  ConfState,
  Entry,
  HardState,
  InitialState,
  PersistUpdate,
  RaftLogStore,
  Snapshot,
} from './types.ts';

const EMPTY_BYTES = new Uint8Array(0);

/**
 * A `RaftLogStore` held in memory: for tests and the simulator. `save` is "durable" at once.
 *
 * Layout: `entries[k]` has index `offset + 1 + k`; the entry at `offset` (the compaction point) is
 * gone but its term is kept in `offsetTerm`. The snapshot may lie above `offset` when a local
 * snapshot retained entries before it.
 */
export class MemoryStorage implements RaftLogStore {
  private hardState: HardState = { term: TERM_ZERO, vote: null, commit: INDEX_ZERO };
  private snap: Snapshot;
  private offset: LogIndex = INDEX_ZERO;
  private offsetTerm: Term = TERM_ZERO;
  private entryList: Entry[] = [];

  constructor(bootstrap: ConfState) {
    this.snap = {
      meta: { index: INDEX_ZERO, term: TERM_ZERO, conf: copyConf(bootstrap) },
      data: EMPTY_BYTES,
    };
  }

  initialState(): InitialState {
    return { hardState: this.hardState, conf: this.snap.meta.conf };
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    assert(lo <= hi, () => `entries: lo ${lo} > hi ${hi}`);
    if (lo <= this.offset) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1)
      throw new UnavailableError((hi - 1) as LogIndex, this.lastIndex());
    if (lo === hi) return [];
    const start = lo - this.offset - 1;
    const end = hi - this.offset - 1;
    let size = entrySizeBytes(this.entryList[start]!);
    let stop = start + 1;
    while (stop < end) {
      size += entrySizeBytes(this.entryList[stop]!);
      if (size > maxBytes) break;
      stop++;
    }
    return this.entryList.slice(start, stop);
  }

  term(index: LogIndex): Term {
    if (index < this.offset) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    if (index === this.offset) return this.offsetTerm;
    return this.entryList[index - this.offset - 1]!.term;
  }

  firstIndex(): LogIndex {
    return logIndex(this.offset + 1);
  }

  lastIndex(): LogIndex {
    return logIndex(this.offset + this.entryList.length);
  }

  /** The stored snapshot (`atLeast` is ignored: this storage cannot export on demand). */
  snapshot(_atLeast?: LogIndex): Snapshot {
    return this.snap;
  }

  save(update: PersistUpdate): Promise<void> {
    this.saveSync(update);
    return Promise.resolve();
  }

  saveLocalSnapshot(snapshot: Snapshot, retainEntries: number): Promise<void> {
    this.saveLocalSnapshotSync(snapshot, retainEntries);
    return Promise.resolve();
  }

  /** `save` without the promise, for the simulator's synchronous steps. */
  saveSync(update: PersistUpdate): void {
    if (update.snapshot) this.installSnapshot(update.snapshot);
    if (update.entries && update.entries.length > 0) this.appendEntries(update.entries);
    if (update.hardState) this.hardState = update.hardState;
  }

  /** `saveLocalSnapshot` without the promise, for the simulator. */
  saveLocalSnapshotSync(snapshot: Snapshot, retainEntries: number): void {
    assert(retainEntries >= 0, 'retainEntries must not be negative');
    const index = snapshot.meta.index;
    // A snapshot no newer than the one held adds nothing (the host may race two of them).
    if (index <= this.snap.meta.index) return;
    assert(
      index <= this.lastIndex(),
      () => `local snapshot at ${index} is past the last entry ${this.lastIndex()}`,
    );
    assert(
      this.term(index) === snapshot.meta.term,
      () =>
        `local snapshot at ${index} has term ${snapshot.meta.term}, the log has ${this.term(index)}`,
    );
    this.snap = snapshot;
    const compactTo = logIndex(Math.max(this.offset, index - retainEntries));
    this.compactTo(compactTo);
  }

  /** A deep copy: the simulator keeps one as the durable state a crash falls back to. */
  clone(): MemoryStorage {
    const copy = new MemoryStorage(this.snap.meta.conf);
    copy.hardState = this.hardState;
    copy.snap = this.snap;
    copy.offset = this.offset;
    copy.offsetTerm = this.offsetTerm;
    // Entries and snapshots are immutable values; copying the array is a deep copy of the log.
    copy.entryList = this.entryList.slice();
    return copy;
  }

  private installSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    if (index <= this.snap.meta.index) return;
    this.snap = snapshot;
    const keepSuffix =
      index >= this.offset && index <= this.lastIndex() && this.term(index) === term;
    if (keepSuffix) {
      this.compactTo(index);
      return;
    }
    // The log conflicts with the snapshot (or ends before it): none of it can be trusted
    // (hashicorp/raft#697 kept a conflicting log and looped on snapshots).
    this.entryList = [];
    this.offset = index;
    this.offsetTerm = term;
  }

  private compactTo(index: LogIndex): void {
    if (index <= this.offset) return;
    const newOffsetTerm = this.term(index);
    this.entryList = this.entryList.slice(index - this.offset);
    this.offset = index;
    this.offsetTerm = newOffsetTerm;
  }

  private appendEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    assert(
      first > this.offset,
      () => `append at ${first} overwrites compacted entries (first index ${this.firstIndex()})`,
    );
    assert(
      first <= this.lastIndex() + 1,
      () => `append at ${first} leaves a gap after ${this.lastIndex()}`,
    );
    for (let k = 1; k < entries.length; k++) {
      assert(entries[k]!.index === first + k, 'appended entries must be contiguous');
    }
    this.entryList.length = first - this.offset - 1;
    for (const entry of entries) this.entryList.push(entry);
  }
}

function copyConf(conf: ConfState): ConfState {
  return { voters: conf.voters.slice(), learners: conf.learners.slice() };
}
