/**
 * The Raft log, hard state and snapshot in LevelDB (`LevelLogStore implements RaftLogStore`).
 *
 * Reads are synchronous, from an in-memory copy of the uncompacted log tail loaded at open; the
 * replica's compaction (`compact`) bounds it. Every write is one LevelDB batch with
 * `sync: true`, and the in-memory copy changes only after the batch is durable, so a read never
 * reflects anything a crash could take back. Writes are serialized in call order: two LevelDB
 * batches in flight at once could land in either order. The state store's unsynced batches may
 * ride in the next log batch (`carry`): a busy replica then issues one LevelDB write per Ready.
 *
 * Layout: one key per entry (keys.ts), the "log base" (index and term of the entry just before the
 * first retained one: etcd's dummy entry), the hard state, and the latest snapshot (meta + data).
 * Open verifies the checksum of every retained entry (see `openLogStore`).
 *
 * The stored snapshot is one of two kinds. A snapshot received from a leader is stored with its
 * data (the install path needs it to survive a crash before the state store has it). A local
 * compaction (`compact`) stores only the metadata, with empty data: the state store, made durable
 * at that index first, *is* the snapshot, and a follower that needs one gets a fresh export from
 * the `SnapshotSource` the host sets. (Every real export is non-empty: state-snapshot.ts writes a
 * header; only the bootstrap snapshot at index 0 is empty and never sent.)
 */
import { assert, logIndex } from '../lib/index.ts';
import type { LogIndex, Term } from '../lib/index.ts';
import { entrySizeBytes } from '../raft/entry.ts';
import { chooseSnapshot } from '../raft/snapshot-choice.ts';
import { CompactedError, UnavailableError } from '../raft/errors.ts';
import type {
  ConfState,
  Entry,
  HardState,
  InitialState,
  PersistUpdate,
  RaftLogStore,
  Snapshot,
  SnapshotMeta,
} from '../raft/types.ts';
import {
  decodeEntryPayload,
  decodeHardStatePayload,
  decodeLogBasePayload,
  decodeSnapshotMetaPayload,
  encodeEntry,
  encodeHardState,
  encodeLogBase,
  encodeSnapshotMeta,
  MalformedPayloadError,
  unframe,
} from './codec.ts';
import { writeBatch } from './batch-write.ts';
import { WriteQueue } from './write-queue.ts';
import type { BatchOperation } from './batch-write.ts';
import type { LogBase } from './codec.ts';
import { crc32c } from './crc32c.ts';
import type { Database } from './data-dir.ts';
import { StorageCorruptError } from './errors.ts';
import {
  HARD_STATE_KEY,
  LOG_BASE_KEY,
  LOG_RANGE,
  logIndexOfKey,
  logKey,
  SNAPSHOT_DATA_KEY,
  SNAPSHOT_META_KEY,
} from './keys.ts';

/** How many log records open reads from LevelDB per iterator step. */
const OPEN_READ_BATCH_RECORDS = 1024;
/** And at most this many bytes (classic-level's default, 16 KiB, stops a step after ~100 entries). */
const OPEN_READ_BATCH_BYTES = 1 << 20;

/** What open found and did; the host logs it. */
export interface LogOpenReport {
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly hardState: HardState;
  readonly snapshotIndex: LogIndex;
  /** A torn final entry that open deleted (it was never acknowledged: its batch did not complete). */
  readonly truncatedTornEntry: { readonly index: LogIndex; readonly detail: string } | null;
}

/** The records a brand-new data directory starts with: empty log, zero hard state, a snapshot at 0 carrying the bootstrap membership. */
export function initialLogWrites(bootstrap: ConfState): BatchOperation[] {
  return [
    {
      type: 'put',
      key: HARD_STATE_KEY,
      value: encodeHardState({ term: 0 as Term, vote: null, commit: logIndex(0) }),
    },
    {
      type: 'put',
      key: LOG_BASE_KEY,
      value: encodeLogBase({ index: logIndex(0), term: 0 as Term }),
    },
    {
      type: 'put',
      key: SNAPSHOT_META_KEY,
      value: encodeSnapshotMeta({
        meta: { index: logIndex(0), term: 0 as Term, conf: bootstrap },
        dataLength: 0,
        dataCrc: crc32c(new Uint8Array(0)),
      }),
    },
    { type: 'put', key: SNAPSHOT_DATA_KEY, value: new Uint8Array(0) },
  ];
}

export class LevelLogStore implements RaftLogStore {
  private hardState: HardState;
  private base: LogBase;
  /** entries[i] has index base.index + 1 + i. */
  private entriesInMemory: Entry[];
  private latestSnapshot: Snapshot;
  private snapshotSource: SnapshotSource | null = null;
  private readonly writes = new WriteQueue();
  /** Other stores' writes waiting to ride in this store's next batch (see carry). */
  private carried: CarriedWrite[] = [];

  private constructor(
    private readonly db: Database,
    readonly dataDir: string,
    loaded: { hardState: HardState; base: LogBase; entries: Entry[]; snapshot: Snapshot },
  ) {
    this.hardState = loaded.hardState;
    this.base = loaded.base;
    this.entriesInMemory = loaded.entries;
    this.latestSnapshot = loaded.snapshot;
  }

  /**
   * Loads and verifies the store in an initialized database (see initialLogWrites). Throws
   * StorageCorruptError on any checksum or invariant failure other than a torn final entry,
   * which is deleted and reported.
   */
  static async open(
    db: Database,
    dataDir: string,
  ): Promise<{ store: LevelLogStore; report: LogOpenReport }> {
    const loader = new LogLoader(db, dataDir);
    const hardState = loader.decode(
      'hard state',
      await loader.getRequired(HARD_STATE_KEY, 'hard state'),
      decodeHardStatePayload,
    );
    const base = loader.decode(
      'log base',
      await loader.getRequired(LOG_BASE_KEY, 'log base'),
      decodeLogBasePayload,
    );
    const snapshot = await loader.loadSnapshot();
    const { entries, torn } = await loader.loadEntries(base);
    const lastIndex = base.index + entries.length;
    if (torn !== null && torn.index <= hardState.commit) {
      throw new StorageCorruptError(
        `log entry ${torn.index}`,
        dataDir,
        `${torn.detail}, and it is committed (commit index ${hardState.commit})`,
      );
    }
    if (hardState.commit > lastIndex) {
      throw new StorageCorruptError(
        'hard state',
        dataDir,
        `commit index ${hardState.commit} is past the last log entry ${lastIndex}`,
      );
    }
    if (snapshot.meta.index < base.index || snapshot.meta.index > lastIndex) {
      throw new StorageCorruptError(
        'snapshot metadata',
        dataDir,
        `snapshot index ${snapshot.meta.index} lies outside the log [${base.index}, ${lastIndex}]`,
      );
    }
    if (torn !== null) {
      await writeBatch(db, [{ type: 'del', key: logKey(torn.index) }], { sync: true });
    }
    const store = new LevelLogStore(db, dataDir, { hardState, base, entries, snapshot });
    return {
      store,
      report: {
        firstIndex: store.firstIndex(),
        lastIndex: store.lastIndex(),
        hardState,
        snapshotIndex: snapshot.meta.index,
        truncatedTornEntry: torn,
      },
    };
  }

  // ---- RaftStorage (synchronous reads)

  initialState(): InitialState {
    return { hardState: this.hardState, conf: this.latestSnapshot.meta.conf };
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi, this.lastIndex());
    assert(lo <= hi, () => `entries(${lo}, ${hi}): lo > hi`);
    const result: Entry[] = [];
    let totalBytes = 0;
    for (let index = lo; index < hi; index++) {
      const entry = this.entriesInMemory[index - this.base.index - 1]!;
      totalBytes += entrySizeBytes(entry);
      if (result.length > 0 && totalBytes > maxBytes) break;
      result.push(entry);
    }
    return result;
  }

  term(index: LogIndex): Term {
    if (index < this.base.index) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    if (index === this.base.index) return this.base.term;
    return this.entriesInMemory[index - this.base.index - 1]!.term;
  }

  firstIndex(): LogIndex {
    return logIndex(this.base.index + 1);
  }

  lastIndex(): LogIndex {
    return logIndex(this.base.index + this.entriesInMemory.length);
  }

  /**
   * A snapshot to send to a follower, at or past `atLeast` (src/raft/snapshot-choice.ts): the
   * stored one while it carries data (one from a leader, until the state holds it and
   * releaseSnapshotData drops it) and is recent enough, else the source's export of the state
   * store. Throws SnapshotTemporarilyUnavailableError while the source prepares one; the core
   * retries.
   */
  snapshot(atLeast?: LogIndex): Snapshot {
    return chooseSnapshot(this.latestSnapshot, atLeast, this.snapshotSource);
  }

  /**
   * The snapshot as stored: after a local compaction its data is empty (the state store holds
   * it); after a snapshot from the leader, its data (held in memory until the next compaction).
   */
  storedSnapshot(): Snapshot {
    return this.latestSnapshot;
  }

  /** True when the stored snapshot is a compaction point whose data is the state store itself. */
  snapshotIsInState(): boolean {
    return this.latestSnapshot.meta.index > 0 && this.latestSnapshot.data.length === 0;
  }

  /** Where snapshot() gets a snapshot after a local compaction (the replica exports the state). */
  setSnapshotSource(source: SnapshotSource | null): void {
    this.snapshotSource = source;
  }

  // ---- writes

  save(update: PersistUpdate): Promise<void> {
    return this.writes.run(() => this.saveNow(update));
  }

  saveLocalSnapshot(snapshot: Snapshot, retainEntries: number): Promise<void> {
    assert(snapshot.data.length > 0, 'a local snapshot with data must not be empty');
    return this.writes.run(() => this.saveLocalSnapshotNow(snapshot, retainEntries));
  }

  /**
   * Compacts the log up to `meta.index` (keeping `retainEntries` before it) and records `meta` as
   * the snapshot, without data. The caller promises that the state store is durable at or past
   * `meta.index` (LevelStateStore.makeDurable): those entries are gone from here afterwards.
   */
  compact(meta: SnapshotMeta, retainEntries: number): Promise<void> {
    assert(meta.index > 0, 'compacting at index 0');
    return this.writes.run(() =>
      this.saveLocalSnapshotNow({ meta, data: EMPTY_SNAPSHOT_DATA }, retainEntries),
    );
  }

  /**
   * Once the state store holds the stored snapshot at `index` durably (installed from a leader
   * or a backup), its data need not stay: the snapshot becomes a compaction point backed by the
   * state, as after a local compaction. Frees the memory and disk it held until the next
   * compaction (up to the state's size); followers then get fresh exports. No-op for any other
   * index. A crash before this write leaves the data in place, as before.
   */
  releaseSnapshotData(index: LogIndex): Promise<void> {
    return this.writes.run(async () => {
      const stored = this.latestSnapshot;
      if (stored.meta.index !== index || stored.meta.index === 0 || stored.data.length === 0)
        return;
      const released: Snapshot = { meta: stored.meta, data: EMPTY_SNAPSHOT_DATA };
      await writeBatch(this.db, snapshotWrites(released), { sync: true });
      this.latestSnapshot = released;
    });
  }

  /** Resolves once every write called so far has finished. */
  async flush(): Promise<void> {
    await this.writes.drained();
  }

  /**
   * Queues another store's operations (the state store's unsynced commits) to be written in the
   * same LevelDB batch as this store's next log write: one batch call and one write instead of
   * two per Ready, which is what a busy replica issues. The caller's data must not depend on the
   * log write it rides with (the state's entries are already durable in the log). Resolves once
   * written; rejects if that batch fails (this store then refuses all further writes).
   * writeCarried() writes them on their own when no log write is coming.
   */
  carry(operations: readonly BatchOperation[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.carried.push({ operations, resolve, reject });
    });
  }

  /** Writes (unsynced) whatever carry() queued that no log write has taken by the time it runs. */
  writeCarried(): Promise<void> {
    if (this.carried.length === 0) return Promise.resolve();
    return this.writes
      .run(async () => {
        if (this.carried.length > 0) await this.writeWithCarried([], false);
      })
      .catch((error: unknown) => {
        // The queue refused the job (an earlier write failed): nothing will take these.
        const stranded = this.carried;
        this.carried = [];
        for (const write of stranded) write.reject(error);
        throw error;
      });
  }

  private async writeWithCarried(operations: BatchOperation[], sync: boolean): Promise<void> {
    const taken = this.carried;
    this.carried = [];
    const all =
      taken.length === 0 ? operations : [...taken.flatMap((c) => c.operations), ...operations];
    try {
      await writeBatch(this.db, all, { sync });
    } catch (error) {
      for (const write of taken) write.reject(error);
      throw error;
    }
    for (const write of taken) write.resolve();
  }

  private async saveNow(update: PersistUpdate): Promise<void> {
    const operations: BatchOperation[] = [];
    let base = this.base;
    let entries = this.entriesInMemory;
    let snapshot = this.latestSnapshot;
    // A snapshot no newer than the stored one adds nothing (as MemoryStorage).
    if (update.snapshot && update.snapshot.meta.index > snapshot.meta.index) {
      const incoming = update.snapshot;
      // Keep the log after the snapshot only if it agrees with the snapshot's last entry
      // (Raft §7); otherwise the whole log conflicts and goes (hashicorp/raft#697).
      const keepFrom = this.agreesWith(incoming.meta.index, incoming.meta.term)
        ? incoming.meta.index - base.index
        : entries.length;
      for (let i = 0; i < keepFrom; i++)
        operations.push({ type: 'del', key: logKey(logIndex(base.index + 1 + i)) });
      entries = entries.slice(keepFrom);
      base = { index: incoming.meta.index, term: incoming.meta.term };
      snapshot = incoming;
      operations.push(
        { type: 'put', key: LOG_BASE_KEY, value: encodeLogBase(base) },
        ...snapshotWrites(incoming),
      );
    }
    let append: { keep: number; entries: readonly Entry[] } | null = null;
    if (update.entries && update.entries.length > 0) {
      const first = update.entries[0]!.index;
      // Entries covered by the snapshot are committed; the core never rewrites them.
      assert(
        first > snapshot.meta.index,
        () => `entries from ${first} rewrite the snapshot at ${snapshot.meta.index}`,
      );
      append = appendOperations(operations, base, entries, update.entries);
    }
    const lastAfter =
      append === null
        ? base.index + entries.length
        : base.index + append.keep + append.entries.length;
    if (update.hardState) {
      assert(update.hardState.term >= this.hardState.term, 'hard state term went backwards');
      assert(update.hardState.commit <= lastAfter, 'hard state commit past the last entry');
      operations.push({
        type: 'put',
        key: HARD_STATE_KEY,
        value: encodeHardState(update.hardState),
      });
    }
    if (operations.length === 0 && this.carried.length === 0) return;
    await this.writeWithCarried(operations, true);
    // Only now, with the batch durable, do reads see the update. Appending extends the array in
    // place: O(entries written), not O(log).
    this.base = base;
    this.entriesInMemory = entries;
    this.latestSnapshot = snapshot;
    if (append !== null) {
      entries.length = append.keep;
      for (const entry of append.entries) entries.push(entry);
    }
    if (update.hardState) this.hardState = update.hardState;
  }

  private async saveLocalSnapshotNow(snapshot: Snapshot, retainEntries: number): Promise<void> {
    assert(
      Number.isInteger(retainEntries) && retainEntries >= 0,
      'retainEntries must be a non-negative integer',
    );
    const meta = snapshot.meta;
    // A snapshot no newer than the stored one (e.g. one from the leader landed meanwhile) adds nothing.
    if (meta.index <= this.latestSnapshot.meta.index) return;
    assert(
      meta.index <= this.lastIndex(),
      () => `local snapshot at ${meta.index} is past the last entry ${this.lastIndex()}`,
    );
    assert(
      this.term(meta.index) === meta.term,
      () =>
        `local snapshot at ${meta.index} has term ${meta.term}, the log says ${this.term(meta.index)}`,
    );
    const newBaseIndex = Math.max(this.base.index, meta.index - retainEntries);
    const newBase: LogBase = {
      index: logIndex(newBaseIndex),
      term: this.term(logIndex(newBaseIndex)),
    };
    const operations: BatchOperation[] = [];
    for (let index = this.base.index + 1; index <= newBaseIndex; index++) {
      operations.push({ type: 'del', key: logKey(logIndex(index)) });
    }
    operations.push(
      { type: 'put', key: LOG_BASE_KEY, value: encodeLogBase(newBase) },
      ...snapshotWrites(snapshot),
    );
    await writeBatch(this.db, operations, { sync: true });
    this.entriesInMemory = this.entriesInMemory.slice(newBaseIndex - this.base.index);
    this.base = newBase;
    this.latestSnapshot = snapshot;
  }

  private agreesWith(index: LogIndex, expectedTerm: Term): boolean {
    if (index < this.base.index || index > this.lastIndex()) return false;
    return this.term(index) === expectedTerm;
  }
}

interface CarriedWrite {
  readonly operations: readonly BatchOperation[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A source of a snapshot at or past `minIndex` (see LevelLogStore.snapshot). */
export type SnapshotSource = (minIndex: LogIndex) => Snapshot;

const EMPTY_SNAPSHOT_DATA = new Uint8Array(0);

function snapshotWrites(snapshot: Snapshot): BatchOperation[] {
  const meta = encodeSnapshotMeta({
    meta: snapshot.meta,
    dataLength: snapshot.data.length,
    dataCrc: crc32c(snapshot.data),
  });
  return [
    { type: 'put', key: SNAPSHOT_META_KEY, value: meta },
    { type: 'put', key: SNAPSHOT_DATA_KEY, value: snapshot.data },
  ];
}

/**
 * Adds to `operations` the writes that put `incoming` into the log `base`+`entries` (deleting any
 * stored suffix it replaces); returns how many existing entries stay and what follows them.
 */
function appendOperations(
  operations: BatchOperation[],
  base: LogBase,
  entries: readonly Entry[],
  incoming: readonly Entry[],
): { keep: number; entries: readonly Entry[] } {
  const first = incoming[0]!.index;
  const lastBefore = base.index + entries.length;
  assert(
    first > base.index,
    () => `entries from ${first} overwrite the compacted log (base ${base.index})`,
  );
  assert(
    first <= lastBefore + 1,
    () => `entries from ${first} leave a gap after the last entry ${lastBefore}`,
  );
  const previousTerm = first - 1 === base.index ? base.term : entries[first - base.index - 2]!.term;
  checkRun(incoming, previousTerm);
  const lastAfter = incoming[incoming.length - 1]!.index;
  for (let index = lastAfter + 1; index <= lastBefore; index++) {
    operations.push({ type: 'del', key: logKey(logIndex(index)) });
  }
  for (const entry of incoming) {
    operations.push({ type: 'put', key: logKey(entry.index), value: encodeEntry(entry) });
  }
  return { keep: first - base.index - 1, entries: incoming };
}

/** Asserts a run of entries to write is contiguous with non-decreasing terms (TigerBeetle: assert before writing). */
function checkRun(entries: readonly Entry[], previousTerm: Term): void {
  let expectedIndex = entries[0]!.index;
  let lastTerm = previousTerm;
  for (const entry of entries) {
    assert(
      entry.index === expectedIndex,
      () => `entry ${entry.index} breaks the run (expected ${expectedIndex})`,
    );
    assert(
      entry.term >= lastTerm,
      () => `entry ${entry.index} has term ${entry.term} below the previous ${lastTerm}`,
    );
    expectedIndex++;
    lastTerm = entry.term;
  }
}

/** Reads and verifies what open needs; every failure names its key and the data directory. */
class LogLoader {
  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  async getRequired(key: Uint8Array, what: string): Promise<Uint8Array> {
    const value = await this.db.get(key);
    if (value === undefined)
      throw new StorageCorruptError(what, this.dataDir, 'the record is missing');
    return value;
  }

  decode<T>(what: string, value: Uint8Array, decodePayload: (payload: Uint8Array) => T): T {
    const unframed = unframe(value);
    if (!unframed.ok) throw new StorageCorruptError(what, this.dataDir, unframed.detail);
    try {
      return decodePayload(unframed.payload);
    } catch (error) {
      if (error instanceof MalformedPayloadError || error instanceof TypeError) {
        throw new StorageCorruptError(what, this.dataDir, error.message, { cause: error });
      }
      throw error;
    }
  }

  async loadSnapshot(): Promise<Snapshot> {
    const stored = this.decode(
      'snapshot metadata',
      await this.getRequired(SNAPSHOT_META_KEY, 'snapshot metadata'),
      decodeSnapshotMetaPayload,
    );
    const data = await this.getRequired(SNAPSHOT_DATA_KEY, 'snapshot data');
    if (data.length !== stored.dataLength || crc32c(data) !== stored.dataCrc) {
      throw new StorageCorruptError(
        'snapshot data',
        this.dataDir,
        `expected ${stored.dataLength} bytes with checksum 0x${stored.dataCrc.toString(16)}, found ${data.length} bytes with 0x${crc32c(data).toString(16)}`,
      );
    }
    return { meta: stored.meta, data };
  }

  /**
   * Reads every retained entry in index order, verifying checksums and invariants. A bad
   * record that is the very last one is a torn final write: returned as `torn`, not loaded.
   */
  async loadEntries(
    base: LogBase,
  ): Promise<{ entries: Entry[]; torn: { index: LogIndex; detail: string } | null }> {
    const entries: Entry[] = [];
    let pendingBad: { index: LogIndex; detail: string } | null = null;
    let expectedIndex = base.index + 1;
    let previousTerm = base.term;
    const iterator = this.db.iterator({
      gte: LOG_RANGE.gte,
      lt: LOG_RANGE.lt,
      highWaterMarkBytes: OPEN_READ_BATCH_BYTES,
    });
    try {
      for (;;) {
        const records = await iterator.nextv(OPEN_READ_BATCH_RECORDS);
        if (records.length === 0) break;
        for (const [key, value] of records) {
          const index = logIndexOfKey(key);
          if (index === null)
            throw new StorageCorruptError(
              `log key 0x${Buffer.from(key).toString('hex')}`,
              this.dataDir,
              'malformed log key',
            );
          const what = `log entry ${index}`;
          if (pendingBad !== null) {
            throw new StorageCorruptError(
              `log entry ${pendingBad.index}`,
              this.dataDir,
              `${pendingBad.detail} (and entries follow it, so it is not a torn final write)`,
            );
          }
          if (index > expectedIndex) {
            throw new StorageCorruptError(
              `log entry ${expectedIndex}`,
              this.dataDir,
              `it is missing (the next stored entry is ${index})`,
            );
          }
          if (index < expectedIndex) {
            throw new StorageCorruptError(
              what,
              this.dataDir,
              `a stale entry lies at or before the log base ${base.index}`,
            );
          }
          expectedIndex++;
          const unframed = unframe(value);
          if (!unframed.ok) {
            pendingBad = { index: logIndex(index), detail: unframed.detail };
            continue;
          }
          const entry = this.decode(what, value, decodeEntryPayload);
          if (entry.index !== index)
            throw new StorageCorruptError(
              what,
              this.dataDir,
              `the value holds entry ${entry.index}`,
            );
          if (entry.term < previousTerm) {
            throw new StorageCorruptError(
              what,
              this.dataDir,
              `term ${entry.term} is below the previous entry's term ${previousTerm}`,
            );
          }
          previousTerm = entry.term;
          entries.push(entry);
        }
      }
    } finally {
      await iterator.close();
    }
    return { entries, torn: pendingBad };
  }
}
