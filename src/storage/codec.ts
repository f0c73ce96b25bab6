/**
 * Value formats. Every record the Raft safety argument depends on is framed as
 *
 *   [crc32c u32be][payload length u32be][payload]
 *
 * with the CRC over the length and the payload, so a short (torn) value, a garbled one and a
 * value of the wrong length are all told apart from a good one. Payloads are small fixed binary
 * layouts; entry data is stored raw.
 */
import { assert, logIndex, nodeId, term } from '../lib/index.ts';
import type { LogIndex, Term } from '../lib/index.ts';
import type { ConfState, Entry, EntryKind, HardState, SnapshotMeta } from '../raft/types.ts';
import { crc32c } from './crc32c.ts';
import { fromUtf8, readUint32, readUint64, utf8, writeUint32, writeUint64 } from './keys.ts';

const FRAME_HEADER_BYTES = 8;
/** No single record may exceed this; LevelDB copes, but a larger one means a bug upstream. */
export const MAX_RECORD_BYTES = 1 << 30;

export type RecordProblem = 'short' | 'length' | 'checksum';

export type Unframed =
  | { readonly ok: true; readonly payload: Uint8Array }
  | { readonly ok: false; readonly problem: RecordProblem; readonly detail: string };

function frame(payloadBytes: number, fill: (payload: Uint8Array) => void): Uint8Array {
  assert(payloadBytes <= MAX_RECORD_BYTES, () => `record of ${payloadBytes} bytes is too large`);
  const value = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes);
  writeUint32(value, 4, payloadBytes);
  fill(value.subarray(FRAME_HEADER_BYTES));
  writeUint32(value, 0, crc32c(value.subarray(4)));
  return value;
}

export function unframe(value: Uint8Array): Unframed {
  if (value.length < FRAME_HEADER_BYTES) {
    return {
      ok: false,
      problem: 'short',
      detail: `value is ${value.length} bytes, shorter than its header`,
    };
  }
  const storedCrc = readUint32(value, 0);
  const length = readUint32(value, 4);
  const actualCrc = crc32c(value, 4);
  if (length !== value.length - FRAME_HEADER_BYTES) {
    return {
      ok: false,
      problem: length > value.length - FRAME_HEADER_BYTES ? 'short' : 'length',
      detail: `value holds ${value.length - FRAME_HEADER_BYTES} payload bytes but its header says ${length}`,
    };
  }
  if (storedCrc !== actualCrc) {
    return {
      ok: false,
      problem: 'checksum',
      detail: `checksum mismatch (stored 0x${storedCrc.toString(16)}, computed 0x${actualCrc.toString(16)})`,
    };
  }
  return { ok: true, payload: value.subarray(FRAME_HEADER_BYTES) };
}

/** Thrown by payload decoders on a payload that passed its checksum but is malformed (a bug or a format change). */
export class MalformedPayloadError extends Error {
  override readonly name = 'MalformedPayloadError';
}

function need(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new MalformedPayloadError(detail);
}

// ---- log entries: [kind u8][term u64][index u64][data…]

const ENTRY_HEADER_BYTES = 17;
const KIND_CODES: Readonly<Record<EntryKind, number>> = { normal: 1, noop: 2, config: 3 };
const KINDS: readonly (EntryKind | undefined)[] = [undefined, 'normal', 'noop', 'config'];

export function encodeEntry(entry: Entry): Uint8Array {
  // The hot path of every save: one allocation, no closures or views.
  const payloadBytes = ENTRY_HEADER_BYTES + entry.data.length;
  assert(payloadBytes <= MAX_RECORD_BYTES, 'entry too large');
  // allocUnsafe draws small buffers from Node's pool; every byte is written below.
  const value = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  writeUint32(value, 4, payloadBytes);
  value[FRAME_HEADER_BYTES] = KIND_CODES[entry.kind];
  writeUint64(value, FRAME_HEADER_BYTES + 1, entry.term);
  writeUint64(value, FRAME_HEADER_BYTES + 9, entry.index);
  value.set(entry.data, FRAME_HEADER_BYTES + ENTRY_HEADER_BYTES);
  writeUint32(value, 0, crc32c(value, 4));
  return value;
}

/** Decodes an unframed entry payload. `data` aliases `payload` (no copy). */
export function decodeEntryPayload(payload: Uint8Array): Entry {
  need(
    payload.length >= ENTRY_HEADER_BYTES,
    `entry payload of ${payload.length} bytes is too short`,
  );
  const kind = KINDS[payload[0]!];
  need(kind !== undefined, `unknown entry kind ${payload[0]}`);
  const entryTerm = readUint64(payload, 1);
  const index = readUint64(payload, 9);
  need(!Number.isNaN(entryTerm) && !Number.isNaN(index), 'entry term or index out of range');
  return {
    kind,
    term: term(entryTerm),
    index: logIndex(index),
    data: payload.subarray(ENTRY_HEADER_BYTES),
  };
}

// ---- hard state: [term u64][commit u64][vote length u16][vote utf8]

export function encodeHardState(hardState: HardState): Uint8Array {
  const vote = hardState.vote === null ? new Uint8Array(0) : utf8(hardState.vote);
  assert(hardState.vote === null || vote.length > 0, 'a vote for the empty node id');
  assert(vote.length <= 0xffff, 'node id too long');
  return frame(18 + vote.length, (payload) => {
    writeUint64(payload, 0, hardState.term);
    writeUint64(payload, 8, hardState.commit);
    new DataView(payload.buffer, payload.byteOffset).setUint16(16, vote.length);
    payload.set(vote, 18);
  });
}

export function decodeHardStatePayload(payload: Uint8Array): HardState {
  need(payload.length >= 18, 'hard state payload too short');
  const voteLength = new DataView(payload.buffer, payload.byteOffset).getUint16(16);
  need(payload.length === 18 + voteLength, 'hard state payload length mismatch');
  const hardTerm = readUint64(payload, 0);
  const commit = readUint64(payload, 8);
  need(!Number.isNaN(hardTerm) && !Number.isNaN(commit), 'hard state term or commit out of range');
  return {
    term: term(hardTerm),
    commit: logIndex(commit),
    vote: voteLength === 0 ? null : nodeId(fromUtf8(payload.subarray(18, 18 + voteLength))),
  };
}

// ---- log base (the entry just before the first retained one): [index u64][term u64]

export interface LogBase {
  readonly index: LogIndex;
  readonly term: Term;
}

export function encodeLogBase(base: LogBase): Uint8Array {
  return frame(16, (payload) => {
    writeUint64(payload, 0, base.index);
    writeUint64(payload, 8, base.term);
  });
}

export function decodeLogBasePayload(payload: Uint8Array): LogBase {
  need(payload.length === 16, 'log base payload length mismatch');
  const index = readUint64(payload, 0);
  const baseTerm = readUint64(payload, 8);
  need(!Number.isNaN(index) && !Number.isNaN(baseTerm), 'log base out of range');
  return { index: logIndex(index), term: term(baseTerm) };
}

// ---- a single index (the applied index): [index u64]

export function encodeIndex(index: LogIndex): Uint8Array {
  return frame(8, (payload) => {
    writeUint64(payload, 0, index);
  });
}

export function decodeIndexPayload(payload: Uint8Array): LogIndex {
  need(payload.length === 8, 'index payload length mismatch');
  const index = readUint64(payload, 0);
  need(!Number.isNaN(index), 'index out of range');
  return logIndex(index);
}

// ---- strings (the identity): [count u16] then [length u16][utf8] per string

export function encodeStrings(values: readonly string[]): Uint8Array {
  const encoded = values.map(utf8);
  assert(encoded.length <= 0xffff && encoded.every((e) => e.length <= 0xffff), 'strings too long');
  const total = 2 + encoded.reduce((sum, e) => sum + 2 + e.length, 0);
  return frame(total, (payload) => {
    writeStringList(payload, 0, encoded);
  });
}

function writeStringList(
  payload: Uint8Array,
  offset: number,
  encoded: readonly Uint8Array[],
): number {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  view.setUint16(offset, encoded.length);
  let at = offset + 2;
  for (const e of encoded) {
    view.setUint16(at, e.length);
    payload.set(e, at + 2);
    at += 2 + e.length;
  }
  return at;
}

function readStringList(payload: Uint8Array, offset: number): { values: string[]; end: number } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  need(offset + 2 <= payload.length, 'string list truncated');
  const count = view.getUint16(offset);
  const values: string[] = [];
  let at = offset + 2;
  for (let i = 0; i < count; i++) {
    need(at + 2 <= payload.length, 'string list truncated');
    const length = view.getUint16(at);
    need(at + 2 + length <= payload.length, 'string list truncated');
    values.push(fromUtf8(payload.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return { values, end: at };
}

export function decodeStringsPayload(payload: Uint8Array): string[] {
  const { values, end } = readStringList(payload, 0);
  need(end === payload.length, 'string list length mismatch');
  return values;
}

// ---- snapshot meta: [index u64][term u64][data length u64][data crc32c u32][voters][learners]

export interface StoredSnapshotMeta {
  readonly meta: SnapshotMeta;
  readonly dataLength: number;
  readonly dataCrc: number;
}

export function encodeSnapshotMeta(stored: StoredSnapshotMeta): Uint8Array {
  const voters = stored.meta.conf.voters.map((v) => utf8(v));
  const learners = stored.meta.conf.learners.map((v) => utf8(v));
  const listBytes = (list: Uint8Array[]): number => 2 + list.reduce((s, e) => s + 2 + e.length, 0);
  return frame(28 + listBytes(voters) + listBytes(learners), (payload) => {
    writeUint64(payload, 0, stored.meta.index);
    writeUint64(payload, 8, stored.meta.term);
    writeUint64(payload, 16, stored.dataLength);
    new DataView(payload.buffer, payload.byteOffset).setUint32(24, stored.dataCrc);
    const afterVoters = writeStringList(payload, 28, voters);
    writeStringList(payload, afterVoters, learners);
  });
}

export function decodeSnapshotMetaPayload(payload: Uint8Array): StoredSnapshotMeta {
  need(payload.length >= 28, 'snapshot meta payload too short');
  const index = readUint64(payload, 0);
  const snapTerm = readUint64(payload, 8);
  const dataLength = readUint64(payload, 16);
  need(![index, snapTerm, dataLength].some(Number.isNaN), 'snapshot meta out of range');
  const dataCrc = new DataView(payload.buffer, payload.byteOffset).getUint32(24);
  const voters = readStringList(payload, 28);
  const learners = readStringList(payload, voters.end);
  need(learners.end === payload.length, 'snapshot meta length mismatch');
  const conf: ConfState = {
    voters: voters.values.map((v) => nodeId(v)),
    learners: learners.values.map((v) => nodeId(v)),
  };
  return { meta: { index: logIndex(index), term: term(snapTerm), conf }, dataLength, dataCrc };
}
