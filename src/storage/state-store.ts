/**
 * The state machine's keyspace in LevelDB (`LevelStateStore`), written together with the applied
 * index in one atomic batch per run of applied entries (DESIGN.md rule 4).
 *
 * The replica applies a run of entries through a `StateBatch` (a KvView: writes are buffered in
 * an overlay, reads see the overlay first, then the store), then `commit`s it. Commits are written
 * in call order; a batch begun while earlier commits are still being written sees their writes
 * (they stay layered above LevelDB until durable), so the replica may apply the next run while the
 * previous one is being fsynced. The replica's commits ride in the log store's next batch
 * (`rideOnCarrier`) rather than costing a LevelDB write each; anything that reads or writes
 * LevelDB itself (an export, an import, the durability barrier) first gets them written.
 */
import { assert } from '../lib/index.ts';
import type { KvRange, KvReader, KvView, LogIndex } from '../lib/index.ts';
import { writeBatch } from './batch-write.ts';
import { WriteQueue } from './write-queue.ts';
import type { BatchOperation } from './batch-write.ts';
import { decodeIndexPayload, encodeIndex, MalformedPayloadError, unframe } from './codec.ts';
import type { Database } from './data-dir.ts';
import { StorageCorruptError } from './errors.ts';
import {
  APPLIED_INDEX_KEY,
  BARRIER_KEY,
  compareBytes,
  STATE_RANGE,
  stateKey,
  stateKeyFromUtf8,
  stateKeyOf,
} from './keys.ts';
import {
  StateSnapshotCursor,
  StateSnapshotWriter,
  validateStateSnapshot,
} from './state-snapshot.ts';

interface RangeCompactor {
  compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void>;
}

/** `level`'s types cover the browser build too; on Node its database is classic-level's, which compacts. */
function compactRange(db: Database, key: Uint8Array): Promise<void> {
  const compactor = db as unknown as RangeCompactor;
  assert(
    typeof compactor.compactRange === 'function',
    'this LevelDB binding cannot compact a range',
  );
  return compactor.compactRange(key, key);
}

/** Records read from LevelDB per iterator step in the state machine's range reads. */
const READ_CHUNK_RECORDS = 256;
/**
 * Whole-keyspace scans (exports, the deletions of an import) read in larger steps: classic-level
 * stops a `nextv` at 16 KiB by default, so 200,000 records of ~220 bytes took ~2,700 trips to the
 * LevelDB thread; with 1 MiB and 1,024 records per step the scan took 390 ms instead of 600.
 */
const SCAN_CHUNK_RECORDS = 1024;
const SCAN_HIGH_WATER_MARK_BYTES = 1 << 20;
/** Most writes one batch may buffer: the overlay lives in memory until commit. */
export const MAX_BATCH_WRITES = 100_000;

type Write = { readonly dbKey: Uint8Array; readonly value: Uint8Array | null };

/** Writes of one batch: state key → value, or null for a delete. */
class Layer {
  readonly writes = new Map<string, Write>();
}

export interface StateBatch extends KvView {
  /** Distinct keys written (put or deleted) so far. */
  readonly writeCount: number;
}

export interface CommitOptions {
  /** fsync before resolving. The replica may pass false when the log already holds the entries durably. */
  readonly sync: boolean;
  /**
   * Unsynced only: write it in the carrier's next batch (carryUnsyncedCommitsWith) instead of a
   * write of its own. It then completes only with that batch, so the caller must call
   * writePending() when no carrier write is coming.
   */
  readonly rideOnCarrier?: boolean;
}

/** Where unsynced commits may ride instead of costing a write of their own (LevelLogStore). */
export interface StateWriteCarrier {
  carry(operations: readonly BatchOperation[]): Promise<void>;
  writeCarried(): Promise<void>;
}

export interface StateOpenReport {
  readonly appliedIndex: LogIndex;
}

export class LevelStateStore {
  private applied: LogIndex;
  /** The index of the latest commit() call, durable or not. */
  private committedCalled: LogIndex;
  /** Batches committed but not yet written, oldest first. */
  private readonly inflight: Layer[] = [];
  /** The overlay of a failed commit stays layered: the queue then refuses all further work. */
  private readonly writes = new WriteQueue();
  private carrier: StateWriteCarrier | null = null;
  /**
   * Queued jobs that write or read LevelDB themselves (imports, synced commits, exports): while
   * one waits, commits are not carried, or a carried one could reach LevelDB before it.
   */
  private uncarriedJobs = 0;

  private constructor(
    private readonly db: Database,
    readonly dataDir: string,
    applied: LogIndex,
  ) {
    this.applied = applied;
    this.committedCalled = applied;
  }

  static async open(
    db: Database,
    dataDir: string,
  ): Promise<{ store: LevelStateStore; report: StateOpenReport }> {
    const value = await db.get(APPLIED_INDEX_KEY);
    if (value === undefined)
      throw new StorageCorruptError('applied index', dataDir, 'the record is missing');
    const unframed = unframe(value);
    if (!unframed.ok) throw new StorageCorruptError('applied index', dataDir, unframed.detail);
    let applied: LogIndex;
    try {
      applied = decodeIndexPayload(unframed.payload);
    } catch (error) {
      if (error instanceof MalformedPayloadError)
        throw new StorageCorruptError('applied index', dataDir, error.message);
      throw error;
    }
    return { store: new LevelStateStore(db, dataDir, applied), report: { appliedIndex: applied } };
  }

  /** The applied index as of the last commit that has been written. Loaded at open. */
  appliedIndex(): LogIndex {
    return this.applied;
  }

  beginBatch(): StateBatch {
    return new OverlayBatch(this.db, new Layer(), [...this.inflight].reverse());
  }

  /**
   * Lets unsynced commits that ask for it (rideOnCarrier) ride in the carrier's next batch (the
   * log store's next write) instead of each costing a LevelDB write of its own. Only for a
   * carrier whose writes come after the log writes that made the committed entries durable, as
   * the replica's log store's do.
   */
  carryUnsyncedCommitsWith(carrier: StateWriteCarrier | null): void {
    this.carrier = carrier;
  }

  /** Starts writing the unsynced commits that wait for a carrier's next write. */
  writePending(): void {
    // A failure reaches the commits' own promises; this one has nobody to tell.
    this.carrier?.writeCarried().catch(() => undefined);
  }

  /**
   * Writes the batch's changes and `appliedIndex` in one atomic LevelDB batch. Resolves when
   * written (and fsynced if `sync`). The batch cannot be written to afterwards. See
   * CommitOptions.rideOnCarrier.
   */
  commit(batch: StateBatch, appliedIndex: LogIndex, options: CommitOptions): Promise<void> {
    assert(batch instanceof OverlayBatch, 'commit() takes a batch from this store');
    assert(
      appliedIndex >= this.committedCalled,
      () => `applied index went backwards: ${appliedIndex} after ${this.committedCalled}`,
    );
    const layer = batch.seal();
    this.committedCalled = appliedIndex;
    this.inflight.push(layer);
    const finish = (): void => {
      assert(this.inflight[0] === layer, 'state commits completed out of order');
      this.inflight.shift();
      this.applied = appliedIndex;
    };
    if (
      options.rideOnCarrier === true &&
      !options.sync &&
      this.carrier !== null &&
      this.uncarriedJobs === 0
    ) {
      // Handed over now, in commit order; the queued job only waits for it, so jobs still
      // complete in order and a later import or export sees it written.
      const carried = this.carrier.carry(commitOperations(layer, appliedIndex));
      carried.catch(() => undefined);
      return this.writes.run(async () => {
        await carried;
        finish();
      });
    }
    return this.uncarried(async () => {
      await writeBatch(this.db, commitOperations(layer, appliedIndex), { sync: options.sync });
      finish();
    });
  }

  /** Queues a job that touches LevelDB itself, after every carried commit called before it. */
  private uncarried(job: () => Promise<void>): Promise<void> {
    this.uncarriedJobs += 1;
    this.writePending();
    const done = this.writes.run(job);
    const release = (): void => {
      this.uncarriedJobs -= 1;
    };
    done.then(release, release);
    return done;
  }

  /** Reads state as of every commit() called so far (written or still in flight). */
  reader(): KvReader {
    return {
      get: (key) => new OverlayBatch(this.db, new Layer(), [...this.inflight].reverse()).get(key),
      scan: (range) =>
        new OverlayBatch(this.db, new Layer(), [...this.inflight].reverse()).scan(range),
    };
  }

  /** Resolves once every commit/import called so far has been written. */
  async flush(): Promise<void> {
    this.writePending();
    await this.writes.drained();
  }

  /**
   * Resolves once every commit/import called so far is on disk for good, even those written with
   * `sync: false`, so that the log may drop the entries they came from (the state store is then
   * the snapshot; see the replica's compaction).
   *
   * An fsynced write is not enough: LevelDB syncs only its current write-ahead log, and when the
   * memtable fills it starts a new one without syncing the old (leveldb 1.20, MakeRoomForWrite),
   * so an unsynced state batch could be lost in a power failure behind a later synced one.
   * Compacting a key range flushes the memtable into a table file first, and LevelDB fsyncs table
   * files and the manifest before it retires the old logs; the range is region 0x00, where no
   * record lives, so nothing else is compacted.
   */
  async makeDurable(): Promise<void> {
    // An empty job in the queue resolves once every earlier write is done (and throws if one
    // failed); the flush itself runs outside the queue, so later commits need not wait for it.
    await this.uncarried(() => Promise.resolve());
    await compactRange(this.db, BARRIER_KEY);
  }

  /**
   * Every state key/value and the applied index they are as of, from one consistent LevelDB
   * snapshot, in the format of state-snapshot.ts (read the index back with stateSnapshotIndex).
   * The LevelDB snapshot is taken in the write order, right after the commits already called and
   * before any called later: the export is exactly as of the last commit(), so a caller may keep
   * committing while the export runs (the replica snapshots without stalling its loop).
   */
  async exportSnapshot(): Promise<Uint8Array> {
    let taken: ReturnType<typeof this.db.snapshot> | null = null;
    await this.uncarried(() => {
      taken = this.db.snapshot();
      return Promise.resolve();
    });
    const snapshot = taken!;
    try {
      const value = await this.db.get(APPLIED_INDEX_KEY, { snapshot });
      assert(value !== undefined, 'applied index missing');
      const unframed = unframe(value);
      if (!unframed.ok)
        throw new StorageCorruptError('applied index', this.dataDir, unframed.detail);
      const writer = new StateSnapshotWriter(decodeIndexPayload(unframed.payload));
      const iterator = this.db.iterator({
        gte: STATE_RANGE.gte,
        lt: STATE_RANGE.lt,
        snapshot,
        highWaterMarkBytes: SCAN_HIGH_WATER_MARK_BYTES,
      });
      try {
        for (;;) {
          const records = await iterator.nextv(SCAN_CHUNK_RECORDS);
          if (records.length === 0) break;
          for (const [key, recordValue] of records) writer.add(key.subarray(1), recordValue);
        }
      } finally {
        await iterator.close();
      }
      return writer.finish();
    } finally {
      await snapshot.close();
    }
  }

  /**
   * Replaces the whole state keyspace with `data` (from exportSnapshot, possibly on another node)
   * and sets the applied index to `index`, in one atomic fsynced batch. The data is validated
   * first: SnapshotDataCorruptError and nothing changed if it is bad. Memory: the records go one
   * at a time into LevelDB's native batch (about the snapshot's size, off the JS heap), never
   * into an array of them. Await it before beginning the next batch: a batch begun meanwhile
   * would read the keyspace being replaced.
   */
  importSnapshot(data: Uint8Array, index: LogIndex): Promise<void> {
    const { appliedIndex } = validateStateSnapshot(data);
    assert(appliedIndex === index, () => `snapshot data is as of ${appliedIndex}, not ${index}`);
    assert(
      index >= this.committedCalled,
      () => `importing a snapshot at ${index} behind applied index ${this.committedCalled}`,
    );
    this.committedCalled = index;
    return this.uncarried(async () => {
      const batch = this.db.batch();
      try {
        await this.mergeInto(batch, new StateSnapshotCursor(data));
        batch.put(APPLIED_INDEX_KEY, encodeIndex(index));
      } catch (error) {
        await batch.close();
        throw error;
      }
      await batch.write({ sync: true });
      this.applied = index;
    });
  }

  /**
   * Both sides are in key order: a record is put (replacing the key if it exists) and a key the
   * snapshot lacks is deleted — so a follower that is merely behind rewrites what changed plus
   * what it has, never a delete of every key and a put of it again.
   */
  private async mergeInto(batch: ImportBatch, records: StateSnapshotCursor): Promise<void> {
    let pending = records.next();
    const keys = this.db.keys({
      gte: STATE_RANGE.gte,
      lt: STATE_RANGE.lt,
      highWaterMarkBytes: SCAN_HIGH_WATER_MARK_BYTES,
    });
    try {
      for (;;) {
        const chunk = await keys.nextv(SCAN_CHUNK_RECORDS);
        if (chunk.length === 0) break;
        for (const key of chunk) {
          const existing = key.subarray(1);
          let order = 1;
          while (pending && (order = records.compareKeyTo(existing)) < 0) {
            batch.put(stateKeyFromUtf8(records.key()), records.value());
            pending = records.next();
          }
          if (pending && order === 0) {
            batch.put(key, records.value());
            pending = records.next();
          } else {
            batch.del(key);
          }
        }
      }
    } finally {
      await keys.close();
    }
    for (; pending; pending = records.next()) {
      batch.put(stateKeyFromUtf8(records.key()), records.value());
    }
  }
}

/** What an import needs of LevelDB's chained batch: operations go to the native batch at once. */
interface ImportBatch {
  put(key: Uint8Array, value: Uint8Array): unknown;
  del(key: Uint8Array): unknown;
}

/** The LevelDB operations of one commit: its writes and the applied index. */
function commitOperations(layer: Layer, appliedIndex: LogIndex): BatchOperation[] {
  const operations: BatchOperation[] = [];
  for (const write of layer.writes.values()) {
    operations.push(
      write.value === null
        ? { type: 'del', key: write.dbKey }
        : { type: 'put', key: write.dbKey, value: write.value },
    );
  }
  operations.push({ type: 'put', key: APPLIED_INDEX_KEY, value: encodeIndex(appliedIndex) });
  return operations;
}

/** A KvView over [own writes] → [in-flight commits, newest first] → LevelDB. */
class OverlayBatch implements StateBatch {
  private sealed = false;

  constructor(
    private readonly db: Database,
    private readonly own: Layer,
    /** Newest first. */
    private readonly lower: readonly Layer[],
  ) {}

  get writeCount(): number {
    return this.own.writes.size;
  }

  seal(): Layer {
    assert(!this.sealed, 'this batch was already committed');
    this.sealed = true;
    return this.own;
  }

  put(key: string, value: Uint8Array): void {
    this.write(key, value);
  }

  del(key: string): void {
    this.write(key, null);
  }

  private write(key: string, value: Uint8Array | null): void {
    assert(!this.sealed, 'write to a batch that was already committed');
    assert(
      this.own.writes.size < MAX_BATCH_WRITES || this.own.writes.has(key),
      () => `a state batch may hold at most MAX_BATCH_WRITES (${MAX_BATCH_WRITES}) writes`,
    );
    this.own.writes.set(key, { dbKey: stateKey(key), value });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const overlaid = this.lookup(key);
    if (overlaid !== undefined) return overlaid.value ?? undefined;
    return this.db.get(stateKey(key));
  }

  private lookup(key: string): Write | undefined {
    const own = this.own.writes.get(key);
    if (own !== undefined) return own;
    for (const layer of this.lower) {
      const write = layer.writes.get(key);
      if (write !== undefined) return write;
    }
    return undefined;
  }

  async scan(range: KvRange): Promise<Array<readonly [string, Uint8Array]>> {
    assert(
      Number.isInteger(range.limit) && range.limit >= 0,
      'scan limit must be a non-negative integer',
    );
    const gte = stateKey(range.gte);
    const lt = stateKey(range.lt);
    const result: Array<readonly [string, Uint8Array]> = [];
    if (range.limit === 0 || compareBytes(gte, lt) >= 0) return result;
    const reverse = range.reverse === true;
    const overlay = this.overlayInRange(gte, lt, reverse);
    const direction = reverse ? -1 : 1;
    // Read no further ahead than the limit could need (plus the overlay, which may hide keys).
    const chunkRecords = Math.min(READ_CHUNK_RECORDS, range.limit + overlay.length);
    const iterator = this.db.iterator({ gte, lt, reverse });
    try {
      let stored: Array<[Uint8Array, Uint8Array]> = [];
      let storedAt = 0;
      let storedDone = false;
      let overlayAt = 0;
      while (result.length < range.limit) {
        if (storedAt >= stored.length && !storedDone) {
          stored = await iterator.nextv(chunkRecords);
          storedAt = 0;
          storedDone = stored.length === 0;
        }
        const fromStore = storedAt < stored.length ? stored[storedAt]! : null;
        const fromOverlay = overlay[overlayAt];
        if (fromStore === null && fromOverlay === undefined) break;
        const order =
          fromStore === null
            ? -1
            : fromOverlay === undefined
              ? 1
              : compareBytes(fromOverlay[1].dbKey, fromStore[0]) * direction;
        if (order <= 0) {
          // The overlay comes first, or shadows the stored value at the same key.
          const [key, write] = fromOverlay!;
          overlayAt++;
          if (order === 0) storedAt++;
          if (write.value !== null) result.push([key, write.value]);
        } else {
          storedAt++;
          result.push([stateKeyOf(fromStore![0]), fromStore![1]]);
        }
      }
      return result;
    } finally {
      await iterator.close();
    }
  }

  /** The overlay's writes with gte <= key < lt, newest layer winning, in scan order. */
  private overlayInRange(
    gte: Uint8Array,
    lt: Uint8Array,
    reverse: boolean,
  ): Array<readonly [string, Write]> {
    const merged = new Map<string, Write>();
    const layers = [...this.lower].reverse();
    layers.push(this.own);
    for (const layer of layers) {
      for (const [key, write] of layer.writes) {
        if (compareBytes(write.dbKey, gte) >= 0 && compareBytes(write.dbKey, lt) < 0)
          merged.set(key, write);
      }
    }
    const sorted = [...merged];
    sorted.sort((a, b) => compareBytes(a[1].dbKey, b[1].dbKey) * (reverse ? -1 : 1));
    return sorted;
  }
}

/** The records a brand-new data directory starts with: nothing applied. */
export function initialStateWrites(): Array<{ type: 'put'; key: Uint8Array; value: Uint8Array }> {
  return [{ type: 'put', key: APPLIED_INDEX_KEY, value: encodeIndex(0 as LogIndex) }];
}
