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
import { crc32c, crc32cUpdate } from './crc32c.ts';
import { SnapshotDataCorruptError, StateTooLargeError } from './errors.ts';
import { compareBytes, fromUtf8, readUint64, writeUint64 } from './keys.ts';

const MAGIC = Uint8Array.of(0x42, 0x54, 0x53, 0x53); // "BTSS"
const VERSION = 1;
const HEADER_BYTES = 13;
const TRAILER_BYTES = 12;
/** The state snapshot is built in memory as one buffer: the state may not exceed this. */
export const MAX_STATE_SNAPSHOT_BYTES = 1 << 30;

/** Accumulates records into chunks while keeping a running checksum. */
export class StateSnapshotWriter {
  private readonly chunks: Uint8Array[] = [];
  private crc = 0;
  private totalBytes = 0;
  private records = 0;

  constructor(appliedIndex: LogIndex) {
    const header = new Uint8Array(HEADER_BYTES);
    header.set(MAGIC, 0);
    header[4] = VERSION;
    writeUint64(header, 5, appliedIndex);
    this.push(header);
  }

  /** `key` is the UTF-8 encoded state key (without the LevelDB region prefix). */
  add(key: Uint8Array, value: Uint8Array): void {
    const keyLength = new Uint8Array(4);
    new DataView(keyLength.buffer).setUint32(0, key.length);
    const valueLength = new Uint8Array(4);
    new DataView(valueLength.buffer).setUint32(0, value.length);
    this.push(keyLength);
    this.push(key);
    this.push(valueLength);
    this.push(value);
    this.records++;
  }

  finish(): Uint8Array {
    const trailer = new Uint8Array(TRAILER_BYTES);
    writeUint64(trailer, 0, this.records);
    this.crc = crc32cUpdate(this.crc, trailer.subarray(0, 8));
    new DataView(trailer.buffer).setUint32(8, this.crc);
    this.chunks.push(trailer);
    return Buffer.concat(this.chunks, this.totalBytes + TRAILER_BYTES);
  }

  private push(chunk: Uint8Array): void {
    this.totalBytes += chunk.length;
    if (this.totalBytes + TRAILER_BYTES > MAX_STATE_SNAPSHOT_BYTES) {
      throw new StateTooLargeError(MAX_STATE_SNAPSHOT_BYTES);
    }
    this.crc = crc32cUpdate(this.crc, chunk);
    this.chunks.push(chunk);
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
