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

/** Validates the whole snapshot (checksum first) and returns its records. */
export function parseStateSnapshot(data: Uint8Array): ParsedStateSnapshot {
  checkHeader(data);
  const bodyEnd = data.length - TRAILER_BYTES;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const storedCrc = view.getUint32(data.length - 4);
  const actualCrc = crc32c(data.subarray(0, data.length - 4));
  if (storedCrc !== actualCrc) {
    throw new SnapshotDataCorruptError(
      `checksum mismatch (stored 0x${storedCrc.toString(16)}, computed 0x${actualCrc.toString(16)})`,
    );
  }
  const records: Array<readonly [Uint8Array, Uint8Array]> = [];
  let at = HEADER_BYTES;
  let previousKey: Uint8Array | null = null;
  while (at < bodyEnd) {
    if (at + 4 > bodyEnd) throw new SnapshotDataCorruptError(`record at byte ${at} is truncated`);
    const keyLength = view.getUint32(at);
    const keyEnd = at + 4 + keyLength;
    if (keyEnd + 4 > bodyEnd)
      throw new SnapshotDataCorruptError(`record at byte ${at} is truncated`);
    const valueLength = view.getUint32(keyEnd);
    const valueEnd = keyEnd + 4 + valueLength;
    if (valueEnd > bodyEnd) throw new SnapshotDataCorruptError(`record at byte ${at} is truncated`);
    const key = data.subarray(at + 4, keyEnd);
    if (previousKey !== null && compareBytes(previousKey, key) >= 0) {
      throw new SnapshotDataCorruptError(`keys out of order at byte ${at}`);
    }
    try {
      fromUtf8(key);
    } catch {
      throw new SnapshotDataCorruptError(`key at byte ${at} is not valid UTF-8`);
    }
    records.push([key, data.subarray(keyEnd + 4, valueEnd)]);
    previousKey = key;
    at = valueEnd;
  }
  const count = readUint64(data, bodyEnd);
  if (count !== records.length) {
    throw new SnapshotDataCorruptError(`trailer says ${count} records, found ${records.length}`);
  }
  return { appliedIndex: logIndex(readUint64(data, 5)), records };
}
