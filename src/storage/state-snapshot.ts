/**
 * The state snapshot format: the whole state machine keyspace plus the applied index it is as of.
 *
 *   header   "BTSS" | version u8 (1) | applied index u64be
 *   records  key length u32be | key (UTF-8) | value length u32be | value      — in key order
 *   trailer  record count u64be | crc32c u32be over every byte before it
 *
 * The checksum is a trailer so that the format can later be produced and consumed as a stream;
 * today it is one buffer (MAX_STATE_SNAPSHOT_BYTES bounds it).
 */
import { logIndex } from '../lib/index.ts';
import type { LogIndex } from '../lib/index.ts';
import { crc32c } from './crc32c.ts';
import { SnapshotDataCorruptError, StateTooLargeError } from './errors.ts';
import { compareBytes, fromUtf8, readUint64, writeUint64 } from './keys.ts';

const MAGIC = Uint8Array.of(0x42, 0x54, 0x53, 0x53); // "BTSS"
const VERSION = 1;
const HEADER_BYTES = 13;
const TRAILER_BYTES = 12;
/** The state snapshot is built in memory as one buffer: the state may not exceed this. */
export const MAX_STATE_SNAPSHOT_BYTES = 1 << 30;

/** Where a writer starts; it doubles as records come (a few allocations for any state). */
const INITIAL_WRITER_BYTES = 64 * 1024;

/**
 * Writes records straight into one growing buffer, the checksum computed once at the end: a
 * record costs two copies and no allocation (5 small arrays and a checksum call per record before,
 * most of an export's time after LevelDB's iteration).
 */
export class StateSnapshotWriter {
  private buffer: Buffer = Buffer.allocUnsafe(INITIAL_WRITER_BYTES);
  private length = 0;
  private records = 0;

  constructor(appliedIndex: LogIndex) {
    this.buffer.set(MAGIC, 0);
    this.buffer[4] = VERSION;
    writeUint64(this.buffer, 5, appliedIndex);
    this.length = HEADER_BYTES;
  }

  /** `key` is the UTF-8 encoded state key (without the LevelDB region prefix). */
  add(key: Uint8Array, value: Uint8Array): void {
    this.reserve(8 + key.length + value.length);
    const buffer = this.buffer;
    let at = this.length;
    buffer.writeUInt32BE(key.length, at);
    buffer.set(key, at + 4);
    at += 4 + key.length;
    buffer.writeUInt32BE(value.length, at);
    buffer.set(value, at + 4);
    this.length = at + 4 + value.length;
    this.records++;
  }

  finish(): Uint8Array {
    this.reserve(0);
    const trailerAt = this.length;
    writeUint64(this.buffer, trailerAt, this.records);
    this.buffer.writeUInt32BE(crc32c(this.buffer, 0, trailerAt + 8), trailerAt + 8);
    const size = trailerAt + TRAILER_BYTES;
    // Up to half of a doubled buffer may be slack: a large snapshot is kept for a while (the
    // replica caches it for followers), so it gets a buffer of its own size.
    const written = this.buffer.subarray(0, size);
    return this.buffer.length > size + (size >> 3) ? Buffer.from(written) : written;
  }

  /** Room for `bytes` more plus the trailer, within MAX_STATE_SNAPSHOT_BYTES. */
  private reserve(bytes: number): void {
    const needed = this.length + bytes + TRAILER_BYTES;
    if (needed <= this.buffer.length) return;
    if (needed > MAX_STATE_SNAPSHOT_BYTES) throw new StateTooLargeError(MAX_STATE_SNAPSHOT_BYTES);
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(Math.min(size, MAX_STATE_SNAPSHOT_BYTES));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

export interface ParsedStateSnapshot {
  readonly appliedIndex: LogIndex;
  /** UTF-8 keys (no region prefix) in strictly increasing byte order; values alias the input. */
  readonly records: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
}

/** The applied index a snapshot is as of, read from its header (no full validation). */
export function stateSnapshotIndex(data: Uint8Array): LogIndex {
  checkHeader(data);
  return logIndex(readUint64(data, 5));
}

function checkHeader(data: Uint8Array): void {
  if (data.length < HEADER_BYTES + TRAILER_BYTES) {
    throw new SnapshotDataCorruptError(`${data.length} bytes is too short for a state snapshot`);
  }
  if (MAGIC.some((byte, i) => data[i] !== byte))
    throw new SnapshotDataCorruptError('not a Baton state snapshot (bad magic)');
  if (data[4] !== VERSION)
    throw new SnapshotDataCorruptError(`unsupported state snapshot version ${data[4]}`);
  if (Number.isNaN(readUint64(data, 5)))
    throw new SnapshotDataCorruptError('applied index out of range');
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Walks the records of a snapshot in order, one at a time, without keeping them: a state of
 * millions of small records must not become millions of objects at once (2,000,000 records of
 * a 75 MB snapshot took a gigabyte of heap as an array of key/value pairs). `next()` checks each
 * record's framing; `validateStateSnapshot` checks the rest before anything is written.
 */
export class StateSnapshotCursor {
  readonly appliedIndex: LogIndex;
  private readonly data: Buffer;
  private readonly bodyEnd: number;
  private at = HEADER_BYTES;
  private keyStart = 0;
  private keyEnd = 0;
  private valueStart = 0;
  private valueEnd = 0;
  /** Records passed so far. */
  count = 0;

  constructor(data: Uint8Array) {
    checkHeader(data);
    this.data = asBuffer(data);
    this.bodyEnd = data.length - TRAILER_BYTES;
    this.appliedIndex = logIndex(readUint64(data, 5));
  }

  /** Moves to the next record; false after the last. Throws on a truncated record. */
  next(): boolean {
    const { data, bodyEnd } = this;
    const at = this.at;
    if (at >= bodyEnd) return false;
    if (at + 4 > bodyEnd) throw new SnapshotDataCorruptError(`record at byte ${at} is truncated`);
    const keyEnd = at + 4 + data.readUInt32BE(at);
    if (keyEnd + 4 > bodyEnd)
      throw new SnapshotDataCorruptError(`record at byte ${at} is truncated`);
    const valueEnd = keyEnd + 4 + data.readUInt32BE(keyEnd);
    if (valueEnd > bodyEnd) throw new SnapshotDataCorruptError(`record at byte ${at} is truncated`);
    this.keyStart = at + 4;
    this.keyEnd = keyEnd;
    this.valueStart = keyEnd + 4;
    this.valueEnd = valueEnd;
    this.at = valueEnd;
    this.count++;
    return true;
  }

  /** Where the current record starts, for messages. */
  get recordOffset(): number {
    return this.keyStart - 4;
  }

  /** The current record's UTF-8 key (no region prefix): a view of the input. */
  key(): Uint8Array {
    return this.data.subarray(this.keyStart, this.keyEnd);
  }

  /** The current record's value: a view of the input. */
  value(): Uint8Array {
    return this.data.subarray(this.valueStart, this.valueEnd);
  }

  /** The current key against `other` in LevelDB's byte order, allocating nothing. */
  compareKeyTo(other: Uint8Array): number {
    return Buffer.compare(this.data.subarray(this.keyStart, this.keyEnd), other);
  }

  /** The record count the trailer states. */
  trailerCount(): number {
    return readUint64(this.data, this.bodyEnd);
  }
}

/**
 * Validates the whole snapshot — checksum first, then every record's framing, key order and
 * UTF-8, and the trailer's count — keeping nothing. Throws SnapshotDataCorruptError.
 */
export function validateStateSnapshot(data: Uint8Array): {
  appliedIndex: LogIndex;
  recordCount: number;
} {
  checkHeader(data);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const storedCrc = view.getUint32(data.length - 4);
  const actualCrc = crc32c(data.subarray(0, data.length - 4));
  if (storedCrc !== actualCrc) {
    throw new SnapshotDataCorruptError(
      `checksum mismatch (stored 0x${storedCrc.toString(16)}, computed 0x${actualCrc.toString(16)})`,
    );
  }
  const cursor = new StateSnapshotCursor(data);
  let previousKey: Uint8Array | null = null;
  while (cursor.next()) {
    const key = cursor.key();
    if (previousKey !== null && compareBytes(previousKey, key) >= 0) {
      throw new SnapshotDataCorruptError(`keys out of order at byte ${cursor.recordOffset}`);
    }
    try {
      fromUtf8(key);
    } catch {
      throw new SnapshotDataCorruptError(`key at byte ${cursor.recordOffset} is not valid UTF-8`);
    }
    previousKey = key;
  }
  const count = cursor.trailerCount();
  if (count !== cursor.count) {
    throw new SnapshotDataCorruptError(`trailer says ${count} records, found ${cursor.count}`);
  }
  return { appliedIndex: cursor.appliedIndex, recordCount: cursor.count };
}

/**
 * Validates the whole snapshot and returns its records as an array: for tests and small states
 * only (the stores walk a StateSnapshotCursor instead).
 */
export function parseStateSnapshot(data: Uint8Array): ParsedStateSnapshot {
  const { appliedIndex } = validateStateSnapshot(data);
  const records: Array<readonly [Uint8Array, Uint8Array]> = [];
  const cursor = new StateSnapshotCursor(data);
  while (cursor.next()) records.push([cursor.key(), cursor.value()]);
  return { appliedIndex, records };
}
