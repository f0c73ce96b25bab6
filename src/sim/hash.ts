/**
 * FNV-1a over 32 bits: the state machine's hash chain. Not cryptographic; it only has to make
 * two different applied histories disagree with overwhelming likelihood.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function hashInit(): number {
  return FNV_OFFSET;
}

export function hashNumber(hash: number, value: number): number {
  let h = hash;
  let v = value >>> 0;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (v & 0xff), FNV_PRIME) >>> 0;
    v >>>= 8;
  }
  // Terms and indexes stay below 2^32 in any run; the high part is hashed for completeness.
  const high = Math.floor(value / 4294967296);
  return high === 0 ? h : Math.imul(h ^ (high & 0xff), FNV_PRIME) >>> 0;
}

export function hashBytes(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (const byte of bytes) h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
  return h;
}
