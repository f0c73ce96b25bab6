import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cUpdate } from './crc32c.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32c', () => {
  // Vectors from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
  it('matches the standard check value', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(crc32c(ascending)).toBe(0x46dd794e);
    const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    expect(crc32c(descending)).toBe(0x113fdb5c);
  });

  it('is 0 for empty input', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('agrees with a bitwise reference and composes over chunks', () => {
    const reference = (bytes: Uint8Array): number => {
      let c = 0xffffffff;
      for (const b of bytes) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(crc32c(bytes)).toBe(reference(bytes));
        expect(crc32c(bytes, at)).toBe(reference(bytes.subarray(at)));
        expect(crc32c(bytes, 0, at)).toBe(reference(bytes.subarray(0, at)));
        expect(crc32cUpdate(crc32cUpdate(0, bytes.subarray(0, at)), bytes.subarray(at))).toBe(
          crc32c(bytes),
        );
      }),
    );
  });
});
