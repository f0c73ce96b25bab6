import { describe, expect, it } from 'vitest';
import { logIndex, SeededRng, term } from '../../lib/index.ts';
import { MemoryKv } from '../../engine/testing/index.ts';
import { ContentHash, DurableState, Overlay } from './state-store.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const KEYS = ['a', 'a/1', 'a/2', 'ab', 'b', 'b/x', 'c', 'c/0', 'c/1', 'd', 'é', 'z'];

function text(entries: ReadonlyArray<readonly [string, Uint8Array]>): string[] {
  return entries.map(([key, value]) => `${key}=${decoder.decode(value)}`);
}

describe('Overlay over DurableState', () => {
  it('reads and scans exactly like one key-value map holding every write (random ops, 200 seeds)', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new SeededRng(seed);
      const durable = new DurableState();
      const reference = new MemoryKv();
      let overlay = new Overlay(durable);
      for (let op = 0; op < 60; op++) {
        const key = KEYS[rng.int(0, KEYS.length)]!;
        const roll = rng.next();
        if (roll < 0.4) {
          const value = encoder.encode(`v${seed}.${op}`);
          overlay.put(key, value);
          reference.put(key, value);
        } else if (roll < 0.55) {
          overlay.del(key);
          reference.del(key);
        } else if (roll < 0.65) {
          durable.commit(overlay.writes, logIndex(durable.applied + 1), term(1));
          overlay = new Overlay(durable);
        } else {
          const [a, b] = [KEYS[rng.int(0, KEYS.length)]!, KEYS[rng.int(0, KEYS.length)]!].sort();
          const range = {
            gte: a!,
            lt: `${b!}\u{10FFFF}`,
            limit: rng.int(1, 6),
            reverse: rng.next() < 0.5,
          };
          expect(
            text(await overlay.scan(range)),
            `seed ${seed} op ${op} ${JSON.stringify(range)}`,
          ).toEqual(text(await reference.scan(range)));
          expect(await overlay.get(key)).toEqual(await reference.get(key));
        }
      }
      // The running hash of what the engine sees equals a hash computed from scratch.
      const fresh = new ContentHash();
      for (const [key, value] of await reference.scan({ gte: '', lt: '\u{10FFFF}', limit: 1000 }))
        fresh.add(key, value);
      expect(overlay.hash.value).toBe(fresh.value);
    }
  });

  it('a snapshot restores byte-identical state and the same hash', async () => {
    const durable = new DurableState();
    const overlay = new Overlay(durable);
    for (const key of KEYS) overlay.put(key, encoder.encode(`value of ${key}`));
    overlay.del('b');
    durable.commit(overlay.writes, logIndex(7), term(2));
    const copy = new DurableState();
    copy.restore(await durable.encode(), logIndex(7), term(2));
    expect(text(await copy.entries())).toEqual(text(await durable.entries()));
    expect(copy.hash.value).toBe(durable.hash.value);
    expect(copy.applied).toBe(7);
  });

  it('the content hash tells different states apart and ignores write order', () => {
    const one = new ContentHash();
    one.add('a', encoder.encode('1'));
    one.add('b', encoder.encode('2'));
    const two = new ContentHash();
    two.add('b', encoder.encode('2'));
    two.add('a', encoder.encode('1'));
    expect(one.value).toBe(two.value);
    const moved = new ContentHash();
    moved.add('a', encoder.encode('2'));
    moved.add('b', encoder.encode('1'));
    expect(moved.value).not.toBe(one.value);
    two.remove('b', encoder.encode('2'));
    expect(two.value).not.toBe(one.value);
  });
});
