/**
 * Every LevelDB key a node writes, in one place. One LevelDB per data directory holds the Raft
 * log, the hard state, the snapshot and the state machine's keyspace, so that one atomic batch
 * can cover state writes together with the applied index (DESIGN.md rule 4).
 *
 * Keys are bytes. The first byte is the region:
 *   0x10 ‖ u64be(index)   a Raft log entry — fixed-width big-endian, so key order = index order
 *   0x20                  hard state (term, vote, commit)
 *   0x21                  log base: index and term of the entry just before the first retained one
 *   0x30 0x01 / 0x30 0x02 snapshot metadata / snapshot data
 *   0x40 ‖ utf8(key)      the state machine's keyspace (UTF-8 byte order = KvReader order)
 *   0x50 0x01 / 0x50 0x02 applied index / node identity
 *   0x50 0x03             set once this node learned it was removed from the cluster
 *
 * Region 0x00 holds no record: a range there overlaps no table, so compacting it only flushes
 * the memtable (the state store's durability barrier).
 */
import { assert } from '../lib/index.ts';
import type { LogIndex } from '../lib/index.ts';

const LOG_PREFIX = 0x10;
const STATE_PREFIX = 0x40;

export const LOG_KEY_BYTES = 9;
export const HARD_STATE_KEY = Uint8Array.of(0x20);
export const LOG_BASE_KEY = Uint8Array.of(0x21);
export const SNAPSHOT_META_KEY = Uint8Array.of(0x30, 0x01);
export const SNAPSHOT_DATA_KEY = Uint8Array.of(0x30, 0x02);
export const APPLIED_INDEX_KEY = Uint8Array.of(0x50, 0x01);
export const IDENTITY_KEY = Uint8Array.of(0x50, 0x02);
export const REMOVED_KEY = Uint8Array.of(0x50, 0x03);
/** Never written; see the region note above. */
export const BARRIER_KEY = Uint8Array.of(0x00);

/** Bounds of the log region: every log key k has LOG_RANGE.gte <= k < LOG_RANGE.lt. */
export const LOG_RANGE = {
  gte: Uint8Array.of(LOG_PREFIX),
  lt: Uint8Array.of(LOG_PREFIX + 1),
} as const;
/** Bounds of the state machine's region. */
export const STATE_RANGE = {
  gte: Uint8Array.of(STATE_PREFIX),
  lt: Uint8Array.of(STATE_PREFIX + 1),
} as const;

const TWO_POW_32 = 0x1_0000_0000;

/** Writes a non-negative safe integer as 8 big-endian bytes at `offset`. */
export function writeUint64(target: Uint8Array, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) assert(false, `not a u64-safe integer: ${value}`);
  writeUint32(target, offset, Math.floor(value / TWO_POW_32));
  writeUint32(target, offset + 4, value >>> 0);
}

/** Reads 8 big-endian bytes at `offset`; returns NaN past Number.MAX_SAFE_INTEGER (a corrupt value). */
export function readUint64(source: Uint8Array, offset: number): number {
  const high = readUint32(source, offset);
  const low = readUint32(source, offset + 4);
  if (high >= 0x20_0000) return Number.NaN;
  return high * TWO_POW_32 + low;
}

export function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

export function readUint32(source: Uint8Array, offset: number): number {
  return (
    ((source[offset]! << 24) |
      (source[offset + 1]! << 16) |
      (source[offset + 2]! << 8) |
      source[offset + 3]!) >>>
    0
  );
}

export function logKey(index: LogIndex): Uint8Array {
  const key = Buffer.allocUnsafe(LOG_KEY_BYTES);
  key[0] = LOG_PREFIX;
  writeUint64(key, 1, index);
  return key;
}

/** The index a log key names, or null if `key` is not a log key. */
export function logIndexOfKey(key: Uint8Array): number | null {
  if (key.length !== LOG_KEY_BYTES || key[0] !== LOG_PREFIX) return null;
  const index = readUint64(key, 1);
  return Number.isNaN(index) ? null : index;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function stateKey(key: string): Uint8Array {
  return stateKeyFromUtf8(utf8Encoder.encode(key));
}

/** The LevelDB key for a state key already encoded as UTF-8 (as a state snapshot holds it). */
export function stateKeyFromUtf8(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoded.length + 1);
  out[0] = STATE_PREFIX;
  out.set(encoded, 1);
  return out;
}

/** The state machine's key stored at LevelDB key `key` (which must be in STATE_RANGE). */
export function stateKeyOf(key: Uint8Array): string {
  assert(key.length >= 1 && key[0] === STATE_PREFIX, 'not a state key');
  return utf8Decoder.decode(key.subarray(1));
}

export function utf8(value: string): Uint8Array {
  return utf8Encoder.encode(value);
}

export function fromUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Byte-wise comparison, as LevelDB's default comparator orders keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
