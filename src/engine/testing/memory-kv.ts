import type { KvRange, KvView } from '../../lib/state-machine.ts';
import { compareKeys } from '../keys.ts';

/**
 * A small in-memory KvView for tests, the example and the simulator: writes are visible at once
 * (read-your-writes) and there is no batching. Keys are kept sorted (binary search), so a scan
 * costs O(log n + results).
 */
export class MemoryKv implements KvView {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly sorted: string[] = [];

  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.entries.get(key));
  }

  scan(range: KvRange): Promise<Array<readonly [string, Uint8Array]>> {
    const result: Array<readonly [string, Uint8Array]> = [];
    if (range.reverse === true) {
      for (let i = this.lowerBound(range.lt) - 1; i >= 0 && result.length < range.limit; i--) {
        const key = this.sorted[i]!;
        if (compareKeys(key, range.gte) < 0) break;
        result.push([key, this.entries.get(key)!]);
      }
    } else {
      for (
        let i = this.lowerBound(range.gte);
        i < this.sorted.length && result.length < range.limit;
        i++
      ) {
        const key = this.sorted[i]!;
        if (compareKeys(key, range.lt) >= 0) break;
        result.push([key, this.entries.get(key)!]);
      }
    }
    return Promise.resolve(result);
  }

  put(key: string, value: Uint8Array): void {
    if (!this.entries.has(key)) this.sorted.splice(this.lowerBound(key), 0, key);
    this.entries.set(key, value.slice());
  }

  del(key: string): void {
    if (!this.entries.delete(key)) return;
    this.sorted.splice(this.lowerBound(key), 1);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every entry in key order, values as text: for byte-for-byte state comparisons in tests. */
  dump(): Array<[string, string]> {
    const decoder = new TextDecoder();
    return this.sorted.map((key) => [key, decoder.decode(this.entries.get(key))]);
  }

  /** The first position whose key is >= `key`. */
  private lowerBound(key: string): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.sorted[middle]!, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
