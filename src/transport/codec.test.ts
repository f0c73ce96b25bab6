import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEALTHY_STORAGE, logIndex, nodeId, term } from '../lib/index.ts';
import type { Entry, Message, MessageType } from '../raft/types.ts';
import type { MessageBatch, MessageBatch__Output } from '../gen/baton/raft/v1/MessageBatch.ts';
import type { Message as ProtoMessage } from '../gen/baton/raft/v1/Message.ts';
import { parseMessageBatch } from './batch-decoder.ts';
import { encodeMessageBatch } from './batch-encoder.ts';
import { decodeMessage, encodeMessage, estimateMessageBytes } from './codec.ts';
import { MalformedMessageError } from './errors.ts';
import { raftPeerService } from './grpc-transport.ts';
import { DEFAULT_TRANSPORT_LIMITS } from './limits.ts';

const sendMethod = raftPeerService()['Send']!;
const serialize = (batch: MessageBatch): Buffer => sendMethod.requestSerialize(batch);
const deserialize = (bytes: Buffer): MessageBatch__Output =>
  sendMethod.requestDeserialize(bytes) as MessageBatch__Output;

/** Through the real wire format, as a peer would see it. */
function overTheWire(messages: readonly ProtoMessage[]): MessageBatch__Output['messages'] {
  return deserialize(serialize({ clusterId: 'c', from: 'a', messages: [...messages] })).messages;
}

const TYPES: MessageType[] = [
  'preVote',
  'preVoteResponse',
  'vote',
  'voteResponse',
  'append',
  'appendResponse',
  'heartbeat',
  'heartbeatResponse',
  'timeoutNow',
];
const uint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const id = fc.string({ minLength: 1, maxLength: 20 }).map(nodeId);

const arbitraryMessage: fc.Arbitrary<Message> = fc
  .record({
    type: fc.constantFrom(...TYPES),
    from: id,
    to: id,
    term: uint,
    logTerm: uint,
    index: fc.integer({ min: 0, max: 2 ** 50 }),
    commit: uint,
    reject: fc.boolean(),
    rejectHint: uint,
    context: fc.uint8Array({ maxLength: 64 }),
    entries: fc.array(
      fc.record({
        term: uint,
        kind: fc.constantFrom<Entry['kind']>('normal', 'noop', 'config'),
        data: fc.uint8Array({ maxLength: 300 }),
      }),
      { maxLength: 8 },
    ),
  })
  .map((r) => ({
    type: r.type,
    from: r.from,
    to: r.to,
    term: term(r.term),
    logTerm: term(r.logTerm),
    index: logIndex(r.index),
    commit: logIndex(r.commit),
    reject: r.reject,
    rejectHint: logIndex(r.rejectHint),
    context: r.context,
    snapshot: null,
    entries:
      r.type === 'append'
        ? r.entries.map((e, i) => ({
            term: term(e.term),
            index: logIndex(r.index + 1 + i),
            kind: e.kind,
            data: e.data,
          }))
        : [],
  }));

function comparable(message: Message): unknown {
  return {
    ...message,
    context: Array.from(message.context),
    entries: message.entries.map((e) => ({ ...e, data: Array.from(e.data) })),
  };
}

describe('codec', () => {
  it('round-trips every message through the wire format unchanged', () => {
    fc.assert(
      fc.property(fc.array(arbitraryMessage, { minLength: 1, maxLength: 5 }), (messages) => {
        const decoded = overTheWire(messages.map(encodeMessage)).map((m) =>
          decodeMessage(m, DEFAULT_TRANSPORT_LIMITS),
        );
        expect(decoded.map(comparable)).toEqual(messages.map(comparable));
      }),
      { numRuns: 200 },
    );
  });

  it('estimates an upper bound of the encoded size', () => {
    fc.assert(
      fc.property(arbitraryMessage, (message) => {
        const encodedBytes = serialize({
          clusterId: '',
          from: '',
          messages: [encodeMessage(message)],
        }).length;
        expect(estimateMessageBytes(message)).toBeGreaterThanOrEqual(encodedBytes);
        const handEncodedBytes = encodeMessageBatch({
          clusterId: '',
          from: '',
          messages: [message],
          storage: HEALTHY_STORAGE,
        }).length;
        expect(estimateMessageBytes(message)).toBeGreaterThanOrEqual(handEncodedBytes);
      }),
      { numRuns: 300 },
    );
  });

  it('the hand-written batch encoder writes what the generated decoder reads back unchanged', () => {
    const clusterId = fc.string({ maxLength: 30 });
    fc.assert(
      fc.property(
        clusterId,
        id,
        fc.array(arbitraryMessage, { maxLength: 5 }),
        fc.record({
          diskLow: fc.boolean(),
          diskCritical: fc.boolean(),
          diskFreeBytes: fc.maxSafeNat(),
        }),
        (cluster, from, messages, storage) => {
          const bytes = encodeMessageBatch({ clusterId: cluster, from, messages, storage });
          const batch = deserialize(bytes);
          expect(parseMessageBatch(bytes)).toEqual(batch);
          expect(batch.clusterId).toBe(cluster);
          expect(batch.from).toBe(from);
          // The report travels only while low: a healthy sender's batches are as before.
          expect(batch.diskLow).toBe(storage.diskLow);
          expect(batch.diskFreeBytes).toBe(storage.diskLow ? storage.diskFreeBytes : 0);
          expect(batch.diskCritical).toBe(storage.diskLow && storage.diskCritical);
          const decoded = batch.messages.map((m) => decodeMessage(m, DEFAULT_TRANSPORT_LIMITS));
          expect(decoded.map(comparable)).toEqual(messages.map(comparable));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the batch encoder matches the generated encoding on fields at their limits', () => {
    // Multi-byte varints up to 2^53 - 1, non-ASCII ids, every default omitted or not.
    const message: Message = {
      type: 'append',
      from: nodeId('nœud-1'),
      to: nodeId('узел-2'),
      term: term(Number.MAX_SAFE_INTEGER),
      logTerm: term(2 ** 32),
      index: logIndex(2 ** 31 - 1),
      entries: [
        { term: term(128), index: logIndex(2 ** 31), kind: 'config', data: new Uint8Array(300) },
        { term: term(0), index: logIndex(2 ** 31 + 1), kind: 'noop', data: new Uint8Array(0) },
      ],
      commit: logIndex(0),
      reject: true,
      rejectHint: logIndex(127),
      snapshot: null,
      context: Uint8Array.of(0, 255),
    };
    const ours = deserialize(
      encodeMessageBatch({
        clusterId: 'c',
        from: 'a',
        messages: [message],
        storage: HEALTHY_STORAGE,
      }),
    );
    const generated = overTheWire([encodeMessage(message)]);
    expect(ours.messages).toEqual(generated);
    expect(estimateMessageBytes(message)).toBeGreaterThanOrEqual(
      encodeMessageBatch({ clusterId: '', from: '', messages: [message], storage: HEALTHY_STORAGE })
        .length,
    );
  });

  it('the hand-written batch parser reads exactly what the generated decoder reads', () => {
    // Proto-level values the core never sends (unknown enum numbers, integers past 2^53, entries
    // on any type) included: the parser must hand decodeMessage the same thing to refuse.
    const protoMessage = fc.record({
      type: fc.integer({ min: 0, max: 12 }),
      from: fc.string({ maxLength: 10 }),
      to: fc.string({ maxLength: 10 }),
      term: fc.oneof(uint, fc.constant(2 ** 60)),
      logTerm: uint,
      index: uint,
      entries: fc.array(
        fc.record({
          term: uint,
          index: uint,
          kind: fc.integer({ min: 0, max: 5 }),
          data: fc.uint8Array({ maxLength: 40 }),
        }),
        { maxLength: 3 },
      ),
      commit: uint,
      reject: fc.boolean(),
      rejectHint: uint,
      context: fc.uint8Array({ maxLength: 20 }),
    });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 12 }),
        fc.string({ maxLength: 12 }),
        fc.array(protoMessage, { maxLength: 4 }),
        (clusterId, from, messages) => {
          const bytes = serialize({
            clusterId,
            from,
            messages: messages as unknown as ProtoMessage[],
          });
          expect(parseMessageBatch(bytes)).toEqual(deserialize(bytes));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the batch parser throws only MalformedMessageError, on arbitrary and on truncated bytes', () => {
    const expectParsedOrMalformed = (bytes: Uint8Array): void => {
      try {
        for (const proto of parseMessageBatch(bytes).messages) {
          try {
            decodeMessage(proto, DEFAULT_TRANSPORT_LIMITS);
          } catch (error) {
            expect(error).toBeInstanceOf(MalformedMessageError);
          }
        }
      } catch (error) {
        expect(error).toBeInstanceOf(MalformedMessageError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), expectParsedOrMalformed), {
      numRuns: 1000,
    });
    fc.assert(
      fc.property(fc.array(arbitraryMessage, { minLength: 1, maxLength: 3 }), (messages) => {
        const whole = encodeMessageBatch({
          clusterId: 'c',
          from: 'a',
          messages,
          storage: HEALTHY_STORAGE,
        });
        for (let cut = 0; cut < whole.length; cut++)
          expectParsedOrMalformed(whole.subarray(0, cut));
      }),
      { numRuns: 50 },
    );
    // A length running past the end, a varint that never ends, a group.
    for (const bytes of [[0x1a, 0x05, 0x08], [0x20, ...Array<number>(11).fill(0xff)], [0x0b]]) {
      expect(() => parseMessageBatch(Uint8Array.from(bytes))).toThrow(MalformedMessageError);
    }
  });

  it('never throws anything but MalformedMessageError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let batch: MessageBatch__Output;
        try {
          batch = deserialize(Buffer.from(bytes));
        } catch {
          return; // gRPC answers INTERNAL for bytes that are not protobuf at all
        }
        for (const proto of batch.messages) {
          try {
            decodeMessage(proto, DEFAULT_TRANSPORT_LIMITS);
          } catch (error) {
            expect(error).toBeInstanceOf(MalformedMessageError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  describe('rejects', () => {
    const valid: ProtoMessage = encodeMessage({
      type: 'append',
      from: nodeId('a'),
      to: nodeId('b'),
      term: term(3),
      logTerm: term(3),
      index: logIndex(10),
      entries: [{ term: term(3), index: logIndex(11), kind: 'normal', data: new Uint8Array([1]) }],
      commit: logIndex(9),
      reject: false,
      rejectHint: logIndex(0),
      snapshot: null,
      context: new Uint8Array(0),
    });
    const cases: [string, ProtoMessage, RegExp][] = [
      [
        'an unspecified type',
        { ...valid, type: 'MESSAGE_TYPE_UNSPECIFIED' },
        /unknown message type/,
      ],
      [
        'an unknown type number',
        { ...valid, type: 42 as unknown as 'MESSAGE_TYPE_VOTE' },
        /unknown message type/,
      ],
      ['a missing sender', { ...valid, from: '' }, /from is missing/],
      ['a missing recipient', { ...valid, to: '' }, /to is missing/],
      ['an over-long node id', { ...valid, from: 'x'.repeat(300) }, /longer than/],
      [
        'a term beyond 2^53',
        { ...valid, term: '18446744073709551615' },
        /term is not a non-negative integer/,
      ],
      [
        'entries on a non-append',
        { ...valid, type: 'MESSAGE_TYPE_HEARTBEAT' },
        /carries no entries/,
      ],
      [
        'entries out of sequence',
        { ...valid, entries: [{ term: 3, index: 12, kind: 'ENTRY_KIND_NORMAL' }] },
        /expected 11/,
      ],
      [
        'an entry at index 0',
        { ...valid, index: 0, entries: [{ term: 3, index: 0, kind: 'ENTRY_KIND_NORMAL' }] },
        /index 0/,
      ],
      [
        'an unknown entry kind',
        { ...valid, entries: [{ term: 3, index: 11, kind: 'ENTRY_KIND_UNSPECIFIED' }] },
        /unknown entry kind/,
      ],
      [
        'an oversized context',
        { ...valid, context: Buffer.alloc(DEFAULT_TRANSPORT_LIMITS.maxContextBytes + 1) },
        /context of/,
      ],
    ];
    it.each(cases)('%s', (_name, proto, pattern) => {
      const [wire] = overTheWire([proto]);
      expect(() => decodeMessage(wire!, DEFAULT_TRANSPORT_LIMITS)).toThrow(pattern);
    });

    it('too many entries and too many entry bytes', () => {
      const entries = Array.from({ length: 5 }, (_, i) => ({
        term: 3,
        index: 11 + i,
        kind: 'ENTRY_KIND_NORMAL' as const,
        data: Buffer.alloc(100),
      }));
      const [wire] = overTheWire([{ ...valid, entries }]);
      expect(() =>
        decodeMessage(wire!, { ...DEFAULT_TRANSPORT_LIMITS, maxEntriesPerMessage: 4 }),
      ).toThrow(/exceed the limit of 4/);
      expect(() =>
        decodeMessage(wire!, { ...DEFAULT_TRANSPORT_LIMITS, maxMessageBytes: 450 }),
      ).toThrow(/450 bytes/);
      expect(decodeMessage(wire!, DEFAULT_TRANSPORT_LIMITS).entries.length).toBe(5);
    });
  });
});
