import type { KvRange, KvReader, KvView } from '../lib/state-machine.ts';
import { decodeStored, encodeJson } from './codec.ts';
import { compareKeys } from './keys.ts';

/**
 * The writes of one command, buffered over the replica's view. A rejected command drops its Tx
 * and so writes nothing, however far it got; an accepted one flushes it in key order. Reads see
 * this command's own writes first (read-your-writes), then the view.
 */
export class Tx implements KvView {
  private readonly writes = new Map<string, Uint8Array | null>();

  constructor(private readonly base: KvReader) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const written = this.writes.get(key);
    if (written !== undefined) return written ?? undefined;
    return this.base.get(key);
  }

  async scan(range: KvRange): Promise<Array<readonly [string, Uint8Array]>> {
    const overlay: Array<[string, Uint8Array | null]> = [];
    for (const [key, value] of this.writes) {
      if (compareKeys(key, range.gte) >= 0 && compareKeys(key, range.lt) < 0)
        overlay.push([key, value]);
    }
    if (overlay.length === 0) return this.base.scan(range);
    // Every overlaid key may hide one base entry, so ask the base for that many more.
    const fromBase = await this.base.scan({ ...range, limit: range.limit + overlay.length });
    const merged = new Map<string, Uint8Array | null>(fromBase);
    for (const [key, value] of overlay) merged.set(key, value);
    const ordered = [...merged.entries()]
      .filter((entry): entry is [string, Uint8Array] => entry[1] !== null)
      .sort((a, b) => compareKeys(a[0], b[0]));
    if (range.reverse === true) ordered.reverse();
    return ordered.slice(0, range.limit);
  }

  put(key: string, value: Uint8Array): void {
    this.writes.set(key, value);
  }

  del(key: string): void {
    this.writes.set(key, null);
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    const bytes = await this.get(key);
    return bytes === undefined ? undefined : decodeStored<T>(bytes, key);
  }

  putJson(key: string, value: unknown): void {
    this.put(key, encodeJson(value));
  }

  get writeCount(): number {
    return this.writes.size;
  }

  /** Applies the buffered writes to `view` in key order. */
  flushTo(view: KvView): void {
    const ordered = [...this.writes.keys()].sort(compareKeys);
    for (const key of ordered) {
      const value = this.writes.get(key);
      if (value === null || value === undefined) view.del(key);
      else view.put(key, value);
    }
  }
}
