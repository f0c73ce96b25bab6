import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logIndex } from '../lib/index.ts';
import {
  compareBytes,
  logIndexOfKey,
  logKey,
  readUint64,
  stateKey,
  stateKeyOf,
  writeUint64,
} from './keys.ts';

describe('keys', () => {
  it('orders log keys as their indexes, across the 32-bit boundary too', () => {
    const index = fc.oneof(
      fc.nat(),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 2 ** 32 - 3, max: 2 ** 32 + 3 }),
    );
    fc.assert(
      fc.property(index, index, (a, b) => {
        expect(Math.sign(compareBytes(logKey(logIndex(a)), logKey(logIndex(b))))).toBe(
          Math.sign(a - b),
        );
        expect(logIndexOfKey(logKey(logIndex(a)))).toBe(a);
      }),
    );
  });

  it('round-trips u64 values and reads an out-of-range one as NaN', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (value) => {
        const bytes = new Uint8Array(10);
        writeUint64(bytes, 1, value);
        expect(readUint64(bytes, 1)).toBe(value);
      }),
    );
    expect(readUint64(new Uint8Array(8).fill(0xff), 0)).toBeNaN();
    expect(() => {
      writeUint64(new Uint8Array(8), 0, -1);
    }).toThrow();
  });

  it('orders state keys by UTF-8 bytes and round-trips them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(stateKeyOf(stateKey(a))).toBe(a);
        expect(Math.sign(compareBytes(stateKey(a), stateKey(b)))).toBe(
          Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
        );
      }),
    );
    // UTF-16 code-unit order would put U+1F600 first; UTF-8 byte order puts U+FF5E first.
    expect(compareBytes(stateKey('\uff5e'), stateKey('\u{1f600}'))).toBeLessThan(0);
  });

  it('keeps the log and state regions disjoint', () => {
    expect(compareBytes(logKey(logIndex(Number.MAX_SAFE_INTEGER)), stateKey(''))).toBeLessThan(0);
    expect(logIndexOfKey(stateKey('abcdefgh'))).toBeNull();
  });
});
