/**
 * Encodes an outgoing MessageBatch (proto/baton/raft/v1/raft.proto) straight from the core's
 * messages into one buffer: the protobuf wire format, written by hand.
 *
 * Why not the generated path: it builds a proto object per message and entry (codec.ts), then
 * protobufjs's `fromObject` copies it into message instances and its Writer allocates an
 * operation per field before joining them. Every write sends at least one batch per follower,
 * so that was ~10 KB of garbage per write at concurrency 1 on the leader, and garbage is what
 * sets the leader's scavenges (its p99). Here: one size pass, one allocation, one write pass.
 *
 * The only contract is the wire format: the tests decode this output with the generated decoder
 * (the receiver parses it with batch-decoder.ts and validates it in codec.ts). Fields at their
 * proto3 default are omitted, as the canonical encoding does; enum numbers come from the loaded
 * raft.proto (wire-enums.ts).
 */
import type { Entry, Message } from '../raft/types.ts';
import type { StorageHealth } from '../lib/index.ts';
import { ENTRY_KIND_NUMBERS, MESSAGE_TYPE_NUMBERS } from './wire-enums.ts';

/** What the transport hands to the Send stream: the envelope plus the core's messages. */
export interface OutgoingBatch {
  readonly clusterId: string;
  readonly from: string;
  readonly messages: readonly Message[];
  /** The sender's storage; omitted on the wire while it has room. */
  readonly storage: StorageHealth;
}

// Wire types.
const VARINT = 0;
const LENGTH_DELIMITED = 2;

const tag = (field: number, wireType: number): number => (field << 3) | wireType;

/** Bytes of a varint; `value` is a non-negative integer below 2^53 (indexes, terms, lengths). */
function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

/** Bytes of a length-delimited field (tag, length, payload); tags here are one byte. */
const delimitedBytes = (payload: number): number => 1 + varintBytes(payload) + payload;
/** Bytes of a varint field (tag, value), 0 when the value is the default. */
const varintFieldBytes = (value: number): number => (value === 0 ? 0 : 1 + varintBytes(value));

interface Sizes {
  /** Payload bytes of each message, then of each of its entries, in order. */
  readonly payloads: number[];
  total: number;
}

function entryPayloadBytes(entry: Entry): number {
  return (
    varintFieldBytes(entry.term) +
    varintFieldBytes(entry.index) +
    1 +
    varintBytes(ENTRY_KIND_NUMBERS[entry.kind]) +
    (entry.data.length === 0 ? 0 : delimitedBytes(entry.data.length))
  );
}

/** Sizes every message and entry, recording payload sizes in write order. */
function measure(batch: OutgoingBatch, fromBytes: number, clusterIdBytes: number): Sizes {
  const payloads: number[] = [];
  let total =
    (clusterIdBytes === 0 ? 0 : delimitedBytes(clusterIdBytes)) +
    (fromBytes === 0 ? 0 : delimitedBytes(fromBytes));
  for (const message of batch.messages) {
    const at = payloads.length;
    payloads.push(0);
    const messageFrom = Buffer.byteLength(message.from);
    const to = Buffer.byteLength(message.to);
    let payload =
      1 +
      varintBytes(MESSAGE_TYPE_NUMBERS[message.type]) +
      (messageFrom === 0 ? 0 : delimitedBytes(messageFrom)) +
      (to === 0 ? 0 : delimitedBytes(to)) +
      varintFieldBytes(message.term) +
      varintFieldBytes(message.logTerm) +
      varintFieldBytes(message.index) +
      varintFieldBytes(message.commit) +
      (message.reject ? 2 : 0) +
      varintFieldBytes(message.rejectHint) +
      (message.context.length === 0 ? 0 : delimitedBytes(message.context.length));
    for (const entry of message.entries) {
      const entryPayload = entryPayloadBytes(entry);
      payloads.push(entryPayload);
      payload += delimitedBytes(entryPayload);
    }
    payloads[at] = payload;
    total += delimitedBytes(payload);
  }
  if (batch.storage.diskLow) total += 2 + varintFieldBytes(batch.storage.diskFreeBytes);
  if (batch.storage.diskLow && batch.storage.diskCritical) total += 2;
  return { payloads, total };
}

class Output {
  at = 0;
  constructor(readonly buffer: Buffer) {}

  varint(value: number): void {
    const buffer = this.buffer;
    while (value >= 128) {
      buffer[this.at++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    buffer[this.at++] = value;
  }

  varintField(field: number, value: number): void {
    if (value === 0) return;
    this.buffer[this.at++] = tag(field, VARINT);
    this.varint(value);
  }

  bytesField(field: number, value: Uint8Array): void {
    if (value.length === 0) return;
    this.buffer[this.at++] = tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.buffer.set(value, this.at);
    this.at += value.length;
  }

  stringField(field: number, value: string, bytes: number): void {
    if (bytes === 0) return;
    this.buffer[this.at++] = tag(field, LENGTH_DELIMITED);
    this.varint(bytes);
    this.at += this.buffer.write(value, this.at, bytes, 'utf8');
  }

  header(field: number, payload: number): void {
    this.buffer[this.at++] = tag(field, LENGTH_DELIMITED);
    this.varint(payload);
  }
}

/** The batch in protobuf wire format, exactly as long as it needs to be. */
export function encodeMessageBatch(batch: OutgoingBatch): Buffer {
  const clusterIdBytes = Buffer.byteLength(batch.clusterId);
  const fromBytes = Buffer.byteLength(batch.from);
  const { payloads, total } = measure(batch, fromBytes, clusterIdBytes);
  const out = new Output(Buffer.allocUnsafe(total));
  out.stringField(1, batch.clusterId, clusterIdBytes);
  out.stringField(2, batch.from, fromBytes);
  let next = 0;
  for (const message of batch.messages) {
    out.header(3, payloads[next++]!);
    out.buffer[out.at++] = tag(1, VARINT);
    out.varint(MESSAGE_TYPE_NUMBERS[message.type]);
    out.stringField(2, message.from, Buffer.byteLength(message.from));
    out.stringField(3, message.to, Buffer.byteLength(message.to));
    out.varintField(4, message.term);
    out.varintField(5, message.logTerm);
    out.varintField(6, message.index);
    for (const entry of message.entries) {
      out.header(7, payloads[next++]!);
      out.varintField(1, entry.term);
      out.varintField(2, entry.index);
      out.buffer[out.at++] = tag(3, VARINT);
      out.varint(ENTRY_KIND_NUMBERS[entry.kind]);
      out.bytesField(4, entry.data);
    }
    out.varintField(8, message.commit);
    out.varintField(9, message.reject ? 1 : 0);
    out.varintField(10, message.rejectHint);
    out.bytesField(11, message.context);
  }
  if (batch.storage.diskLow) {
    out.varintField(4, 1);
    out.varintField(5, batch.storage.diskFreeBytes);
    if (batch.storage.diskCritical) out.varintField(6, 1);
  }
  if (out.at !== total) throw new Error(`batch encoder wrote ${out.at} bytes of ${total}`);
  return out.buffer;
}
