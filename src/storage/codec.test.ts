import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logIndex, nodeId, term } from '../lib/index.ts';
import type { EntryKind } from '../raft/types.ts';
import {
  decodeEntryPayload,
  decodeHardStatePayload,
  decodeSnapshotMetaPayload,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMeta,
  unframe,
} from './codec.ts';

function payloadOf(value: Uint8Array): Uint8Array {
  const unframed = unframe(value);
  if (!unframed.ok) throw new Error(unframed.detail);
  return unframed.payload;
}

describe('codec', () => {
  it('round-trips entries of every kind', () => {
    const kind = fc.constantFrom<EntryKind>('normal', 'noop', 'config');
    const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(kind, safe, safe, fc.uint8Array({ maxLength: 300 }), (entryKind, t, i, data) => {
        const decoded = decodeEntryPayload(
          payloadOf(encodeEntry({ kind: entryKind, term: term(t), index: logIndex(i), data })),
        );
        expect({ ...decoded, data: Array.from(decoded.data) }).toEqual({
          kind: entryKind,
          term: t,
          index: i,
          data: Array.from(data),
        });
      }),
    );
  });

  it('tells a short value, a wrong length and a bad checksum apart', () => {
    const value = encodeEntry({
      kind: 'normal',
      term: term(3),
      index: logIndex(9),
      data: new Uint8Array(40).fill(7),
    });
    expect(unframe(value.subarray(0, 5))).toMatchObject({ ok: false, problem: 'short' });
    expect(unframe(value.subarray(0, value.length - 1))).toMatchObject({
      ok: false,
      problem: 'short',
    });
    expect(unframe(Uint8Array.from([...value, 0]))).toMatchObject({ ok: false, problem: 'length' });
    for (let position = 0; position < value.length; position++) {
      const flipped = Uint8Array.from(value);
      flipped[position]! ^= 0x01;
      expect(unframe(flipped).ok).toBe(false);
    }
  });

  it('round-trips hard state, with and without a vote', () => {
    for (const vote of [null, nodeId('n2'), nodeId('nœud-é')]) {
      const hardState = { term: term(7), vote, commit: logIndex(123_456_789_012) };
      expect(decodeHardStatePayload(payloadOf(encodeHardState(hardState)))).toEqual(hardState);
    }
  });

  it('round-trips snapshot metadata', () => {
    const stored = {
      meta: {
        index: logIndex(99),
        term: term(4),
        conf: { voters: [nodeId('n1'), nodeId('n2')], learners: [nodeId('n9')] },
      },
      dataLength: 12345,
      dataCrc: 0xdeadbeef,
    };
    expect(decodeSnapshotMetaPayload(payloadOf(encodeSnapshotMeta(stored)))).toEqual(stored);
  });
});
