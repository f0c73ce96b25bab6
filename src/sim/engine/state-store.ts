import { assert } from '../../lib/index.ts';
import type { KvRange, KvView, LogIndex, Term } from '../../lib/index.ts';
import { logIndex, term } from '../../lib/index.ts';
import { compareKeys } from '../../engine/index.ts';
import { MemoryKv } from '../../engine/testing/index.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Two independent FNV-1a lanes: a 64-bit content hash without BigInt. */
const LANE_OFFSETS = [0x811c9dc5, 0x9747b28c] as const;
const FNV_PRIME = 0x01000193;

/** Every key sorts below this one: engine keys are ASCII paths. */
const KEY_SPACE_END = '\u{10FFFF}';
/** A simulated engine state stays far below this many keys; a scan of all of it must not truncate. */
const MAX_STATE_KEYS = 10_000_000;

/**
 * An order-independent hash of a key-value set: the sum (mod 2^32, per lane) of each entry's own
 * hash. Adding or removing one entry is O(size of the entry), so a node can keep the hash of its
 * whole state current on every write and two nodes compare whole states in O(1).
 */
export class ContentHash {
  private lanes = [0, 0];

  add(key: string, value: Uint8Array): void {
    const h = entryHash(key, value);
    this.lanes = [(this.lanes[0]! + h[0]) >>> 0, (this.lanes[1]! + h[1]) >>> 0];
  }

  remove(key: string, value: Uint8Array): void {
    const h = entryHash(key, value);
    this.lanes = [(this.lanes[0]! - h[0]) >>> 0, (this.lanes[1]! - h[1]) >>> 0];
  }

  copyFrom(other: ContentHash): void {
    this.lanes = [...other.lanes];
  }

  reset(): void {
    this.lanes = [0, 0];
  }

  get value(): string {
    return `${this.lanes[0]!.toString(16).padStart(8, '0')}${this.lanes[1]!.toString(16).padStart(8, '0')}`;
  }
}

function entryHash(key: string, value: Uint8Array): [number, number] {
  const keyBytes = encoder.encode(key);
  const out: [number, number] = [0, 0];
  for (const lane of [0, 1] as const) {
    let h = LANE_OFFSETS[lane];
    for (const byte of keyBytes) h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
    // A separator no key byte can be, so ("ab","c") and ("a","bc") differ.
    h = Math.imul(h ^ 0xff, FNV_PRIME) >>> 0;
    for (const byte of value) h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
    // Finalizer, so the sum of entry hashes does not cancel trivially.
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    out[lane] = (h ^ (h >>> 13)) >>> 0;
  }
  return out;
}

/**
 * A node's durable engine state: the key-value keyspace and the applied index, which change only
 * together, in `commit` (DESIGN.md rule 4, the LevelDB batch). A crash keeps exactly this.
 */
export class DurableState {
  kv = new MemoryKv();
  /** The same entries as `kv`, for synchronous lookups while hashing a write. */
  private values = new Map<string, Uint8Array>();
  readonly hash = new ContentHash();
  applied: LogIndex = logIndex(0);
  appliedTerm: Term = term(0);

  /** Makes a run's writes and its last index durable in one step. */
  commit(
    writes: ReadonlyMap<string, Uint8Array | null>,
    applied: LogIndex,
    appliedTerm: Term,
  ): void {
    assert(
      applied >= this.applied,
      () => `commit moves applied back from ${this.applied} to ${applied}`,
    );
    for (const [key, value] of writes) this.write(key, value);
    this.applied = applied;
    this.appliedTerm = appliedTerm;
  }

  /** Replaces everything with a snapshot's state. */
  restore(data: Uint8Array, applied: LogIndex, appliedTerm: Term): void {
    const entries = decodeState(data);
    this.kv = new MemoryKv();
    this.values = new Map();
    this.hash.reset();
    for (const [key, value] of entries) this.write(key, value);
    this.applied = applied;
    this.appliedTerm = appliedTerm;
  }

  async encode(): Promise<Uint8Array> {
    return encodeState(await this.entries());
  }

  async entries(): Promise<Array<readonly [string, Uint8Array]>> {
    const all = await this.kv.scan({ gte: '', lt: KEY_SPACE_END, limit: MAX_STATE_KEYS });
    assert(all.length < MAX_STATE_KEYS, 'simulated engine state outgrew a full scan');
    return all;
  }

  getSync(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  private write(key: string, value: Uint8Array | null): void {
    const before = this.values.get(key);
    if (before !== undefined) this.hash.remove(key, before);
    if (value === null) {
      this.kv.del(key);
      this.values.delete(key);
      return;
    }
    this.kv.put(key, value);
    this.values.set(key, value);
    this.hash.add(key, value);
  }
}

/**
 * The uncommitted writes of one apply run on top of the durable state. It is the KvView the
 * engine applies into; `hash` follows the state the engine sees (durable + overlay), so the
 * checker can compare nodes after every entry. A crash simply drops the overlay.
 */
export class Overlay implements KvView {
  readonly writes = new Map<string, Uint8Array | null>();
  readonly hash = new ContentHash();
  /** Writes made through this view since the counter was last read (a rejection must make none). */
  writeCount = 0;

  constructor(private readonly base: DurableState) {
    this.hash.copyFrom(base.hash);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.lookup(key));
  }

  async scan(range: KvRange): Promise<Array<readonly [string, Uint8Array]>> {
    const own: string[] = [];
    for (const key of this.writes.keys()) {
      if (compareKeys(key, range.gte) >= 0 && compareKeys(key, range.lt) < 0) own.push(key);
    }
    // Each own key can hide at most one base entry, so this many base entries always suffice.
    const baseEntries = await this.base.kv.scan({ ...range, limit: range.limit + own.length });
    const merged = new Map<string, Uint8Array>();
    for (const [key, value] of baseEntries) merged.set(key, value);
    for (const key of own) {
      const value = this.writes.get(key);
      if (value === null || value === undefined) merged.delete(key);
      else merged.set(key, value);
    }
    const sortedKeys = [...merged.keys()].sort(compareKeys);
    if (range.reverse === true) sortedKeys.reverse();
    // Base entries past the last one fetched may be missing, so cut at the fetched boundary.
    const boundary =
      baseEntries.length < range.limit + own.length
        ? undefined
        : baseEntries[baseEntries.length - 1]?.[0];
    const result: Array<readonly [string, Uint8Array]> = [];
    for (const key of sortedKeys) {
      if (result.length >= range.limit) break;
      if (boundary !== undefined) {
        const past =
          range.reverse === true ? compareKeys(key, boundary) < 0 : compareKeys(key, boundary) > 0;
        if (past) break;
      }
      result.push([key, merged.get(key)!]);
    }
    return result;
  }

  put(key: string, value: Uint8Array): void {
    this.replace(key, value.slice());
  }

  del(key: string): void {
    this.replace(key, null);
  }

  private lookup(key: string): Uint8Array | undefined {
    const own = this.writes.get(key);
    if (own !== undefined) return own ?? undefined;
    return this.base.getSync(key);
  }

  private replace(key: string, value: Uint8Array | null): void {
    this.writeCount++;
    const before = this.lookup(key);
    if (before !== undefined) this.hash.remove(key, before);
    if (value !== null) this.hash.add(key, value);
    this.writes.set(key, value);
  }
}

/** Snapshot data: the keyspace as length-prefixed key/value pairs. */
function encodeState(entries: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const [key, value] of entries) {
    const keyBytes = encoder.encode(key);
    const header = new Uint8Array(8);
    const view = new DataView(header.buffer);
    view.setUint32(0, keyBytes.length);
    view.setUint32(4, value.length);
    parts.push(header, keyBytes, value);
    size += 8 + keyBytes.length + value.length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function decodeState(data: Uint8Array): Array<[string, Uint8Array]> {
  const entries: Array<[string, Uint8Array]> = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset < data.length) {
    assert(offset + 8 <= data.length, 'truncated engine snapshot');
    const keyLength = view.getUint32(offset);
    const valueLength = view.getUint32(offset + 4);
    offset += 8;
    assert(offset + keyLength + valueLength <= data.length, 'truncated engine snapshot');
    const key = decoder.decode(data.subarray(offset, offset + keyLength));
    offset += keyLength;
    entries.push([key, data.slice(offset, offset + valueLength)]);
    offset += valueLength;
  }
  return entries;
}
