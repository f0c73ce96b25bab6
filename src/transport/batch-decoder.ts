/**
 * Parses a received MessageBatch (proto/baton/raft/v1/raft.proto) from the protobuf wire format
 * into the same plain objects the generated decoder produces with Baton's proto-loader options
 * (defaults filled, 64-bit integers as numbers, enums as names, bytes as Buffers). codec.ts's
 * decodeMessage then validates each message exactly as before: this file only replaces
 * protobufjs's decode-then-toObject, which built a message instance, a Long check per integer
 * field and a second plain object per message and entry (batch-encoder.ts is the sending side).
 *
 * Nothing here trusts the input: every length is bounds-checked; a varint longer than ten bytes,
 * a known field with the wrong wire type, a group or a truncated field is a MalformedMessageError.
 * Unknown fields are skipped, as protobuf requires. An enum number raft.proto does not define
 * stays a number and integers above 2^53 come out imprecise, as from the generated decoder, and
 * decodeMessage refuses both.
 */
import type { Entry__Output } from '../gen/baton/raft/v1/Entry.ts';
import type { EntryKind__Output } from '../gen/baton/raft/v1/EntryKind.ts';
import type { MessageBatch__Output } from '../gen/baton/raft/v1/MessageBatch.ts';
import type { Message__Output } from '../gen/baton/raft/v1/Message.ts';
import type { MessageType__Output } from '../gen/baton/raft/v1/MessageType.ts';
import { MalformedMessageError } from './errors.ts';
import { ENTRY_KIND_NAMES, MESSAGE_TYPE_NAMES } from './wire-enums.ts';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const EMPTY = Buffer.alloc(0);

/** Reads one buffer; `end` narrows to a nested message while it is parsed. */
class Reader {
  at = 0;
  end: number;
  /** The current field's number and wire type, set by next(). */
  field = 0;
  wireType = 0;

  constructor(readonly buffer: Buffer) {
    this.end = buffer.length;
  }

  /** Reads the next field's tag; false at the end of the (nested) message. */
  next(): boolean {
    if (this.at >= this.end) return false;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wireType = tag % 8;
    return true;
  }

  /** The current field as an unsigned integer (uint64, enum, bool). */
  uint(name: string): number {
    this.expect(VARINT, name);
    return this.varint();
  }

  /** The current field as bytes: a view of the input, as the generated decoder gives. */
  bytes(name: string): Buffer {
    this.expect(LENGTH_DELIMITED, name);
    const start = this.delimited();
    return start === this.at ? EMPTY : this.buffer.subarray(start, this.at);
  }

  text(name: string): string {
    this.expect(LENGTH_DELIMITED, name);
    const start = this.delimited();
    return this.buffer.toString('utf8', start, this.at);
  }

  /** Starts the current field as a nested message; returns the enclosing end for `leave`. */
  enter(name: string): number {
    this.expect(LENGTH_DELIMITED, name);
    const start = this.delimited();
    const outer = this.end;
    this.end = this.at;
    this.at = start;
    return outer;
  }

  leave(outer: number): void {
    this.end = outer;
  }

  /** Skips the current field (an unknown one). */
  skip(): void {
    switch (this.wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.advance(8);
        return;
      case LENGTH_DELIMITED:
        this.delimited();
        return;
      case FIXED32:
        this.advance(4);
        return;
      default:
        throw new MalformedMessageError(`unsupported wire type ${this.wireType}`);
    }
  }

  private expect(wireType: number, name: string): void {
    if (this.wireType !== wireType) {
      throw new MalformedMessageError(
        `${name} has wire type ${this.wireType}, expected ${wireType}`,
      );
    }
  }

  /** A varint of up to 64 bits as a number (exact below 2^53). */
  private varint(): number {
    const buffer = this.buffer;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new MalformedMessageError('truncated varint');
      const byte = buffer[this.at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new MalformedMessageError('varint longer than 10 bytes');
  }

  /** Moves past a length-delimited payload, which must fit; returns where it starts. */
  private delimited(): number {
    const length = this.varint();
    if (length > this.end - this.at) throw new MalformedMessageError('truncated field');
    const start = this.at;
    this.at += length;
    return start;
  }

  private advance(bytes: number): void {
    if (bytes > this.end - this.at) throw new MalformedMessageError('truncated field');
    this.at += bytes;
  }
}

function parseEntry(reader: Reader): Entry__Output {
  const entry: Entry__Output = { term: 0, index: 0, kind: 'ENTRY_KIND_UNSPECIFIED', data: EMPTY };
  while (reader.next()) {
    switch (reader.field) {
      case 1:
        entry.term = reader.uint('entry.term');
        break;
      case 2:
        entry.index = reader.uint('entry.index');
        break;
      case 3: {
        const kind = reader.uint('entry.kind');
        entry.kind = ENTRY_KIND_NAMES.get(kind) ?? (kind as unknown as EntryKind__Output);
        break;
      }
      case 4:
        entry.data = reader.bytes('entry.data');
        break;
      default:
        reader.skip();
    }
  }
  return entry;
}

function parseMessage(reader: Reader): Message__Output {
  const message: Message__Output = {
    type: 'MESSAGE_TYPE_UNSPECIFIED',
    from: '',
    to: '',
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY,
  };
  while (reader.next()) {
    switch (reader.field) {
      case 1: {
        const type = reader.uint('type');
        message.type = MESSAGE_TYPE_NAMES.get(type) ?? (type as unknown as MessageType__Output);
        break;
      }
      case 2:
        message.from = reader.text('from');
        break;
      case 3:
        message.to = reader.text('to');
        break;
      case 4:
        message.term = reader.uint('term');
        break;
      case 5:
        message.logTerm = reader.uint('logTerm');
        break;
      case 6:
        message.index = reader.uint('index');
        break;
      case 7: {
        const outer = reader.enter('entries');
        message.entries.push(parseEntry(reader));
        reader.leave(outer);
        break;
      }
      case 8:
        message.commit = reader.uint('commit');
        break;
      case 9:
        message.reject = reader.uint('reject') !== 0;
        break;
      case 10:
        message.rejectHint = reader.uint('rejectHint');
        break;
      case 11:
        message.context = reader.bytes('context');
        break;
      default:
        reader.skip();
    }
  }
  return message;
}

/** The batch as the generated decoder would give it; throws MalformedMessageError. */
export function parseMessageBatch(bytes: Uint8Array): MessageBatch__Output {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const batch: MessageBatch__Output = {
    clusterId: '',
    from: '',
    messages: [],
    diskLow: false,
    diskFreeBytes: 0,
    diskCritical: false,
  };
  const reader = new Reader(buffer);
  while (reader.next()) {
    switch (reader.field) {
      case 1:
        batch.clusterId = reader.text('clusterId');
        break;
      case 2:
        batch.from = reader.text('from');
        break;
      case 3: {
        const outer = reader.enter('messages');
        batch.messages.push(parseMessage(reader));
        reader.leave(outer);
        break;
      }
      case 4:
        batch.diskLow = reader.uint('diskLow') !== 0;
        break;
      case 5:
        batch.diskFreeBytes = reader.uint('diskFreeBytes');
        break;
      case 6:
        batch.diskCritical = reader.uint('diskCritical') !== 0;
        break;
      default:
        reader.skip();
    }
  }
  return batch;
}
