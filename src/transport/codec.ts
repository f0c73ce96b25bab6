/**
 * Raft `Message` ↔ peer protobuf (proto/baton/raft/v1/raft.proto). Encoding trusts our own core;
 * decoding trusts nothing: every field is checked (type known, ids present, integers safe and
 * non-negative, entries consecutive, sizes within limits) and any violation is a
 * MalformedMessageError — never a crash, never a half-built message.
 */
import { logIndex, nodeId, term } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import type {
  ConfState,
  Entry,
  EntryKind,
  Message,
  MessageType,
  SnapshotMeta,
} from '../raft/types.ts';
import type {
  ConfState as ProtoConfState,
  ConfState__Output,
} from '../gen/baton/raft/v1/ConfState.ts';
import type { Entry as ProtoEntry, Entry__Output } from '../gen/baton/raft/v1/Entry.ts';
import type { EntryKind__Output } from '../gen/baton/raft/v1/EntryKind.ts';
import type { Message as ProtoMessage, Message__Output } from '../gen/baton/raft/v1/Message.ts';
import type { MessageType__Output } from '../gen/baton/raft/v1/MessageType.ts';
import type {
  SnapshotMeta as ProtoSnapshotMeta,
  SnapshotMeta__Output,
} from '../gen/baton/raft/v1/SnapshotMeta.ts';
import { MalformedMessageError } from './errors.ts';

export const MESSAGE_TYPE_TO_PROTO: Record<MessageType, MessageType__Output> = {
  preVote: 'MESSAGE_TYPE_PRE_VOTE',
  preVoteResponse: 'MESSAGE_TYPE_PRE_VOTE_RESPONSE',
  vote: 'MESSAGE_TYPE_VOTE',
  voteResponse: 'MESSAGE_TYPE_VOTE_RESPONSE',
  append: 'MESSAGE_TYPE_APPEND',
  appendResponse: 'MESSAGE_TYPE_APPEND_RESPONSE',
  heartbeat: 'MESSAGE_TYPE_HEARTBEAT',
  heartbeatResponse: 'MESSAGE_TYPE_HEARTBEAT_RESPONSE',
  snapshot: 'MESSAGE_TYPE_SNAPSHOT',
  timeoutNow: 'MESSAGE_TYPE_TIMEOUT_NOW',
};

const MESSAGE_TYPE_FROM_PROTO: ReadonlyMap<unknown, MessageType> = new Map(
  Object.entries(MESSAGE_TYPE_TO_PROTO).map(([ours, theirs]) => [theirs, ours as MessageType]),
);

export const ENTRY_KIND_TO_PROTO: Record<EntryKind, EntryKind__Output> = {
  normal: 'ENTRY_KIND_NORMAL',
  noop: 'ENTRY_KIND_NOOP',
  config: 'ENTRY_KIND_CONFIG',
};

const ENTRY_KIND_FROM_PROTO: ReadonlyMap<unknown, EntryKind> = new Map(
  Object.entries(ENTRY_KIND_TO_PROTO).map(([ours, theirs]) => [theirs, ours as EntryKind]),
);

/** Longest node id accepted from a peer. */
export const MAX_NODE_ID_LENGTH = 256;
/** Most members in a ConfState accepted from a peer. */
export const MAX_CONF_MEMBERS = 1024;

/** Upper bound of the protobuf overhead of one entry besides its data (tags, varints, lengths). */
const ENTRY_OVERHEAD_BYTES = 48;
/** Upper bound of one message's fixed fields and framing inside a batch. */
const MESSAGE_OVERHEAD_BYTES = 96;

/**
 * An upper bound of the encoded size of `message` inside a batch (snapshot data excluded: it
 * travels in chunks). O(entries), computed once when the message is queued.
 */
export function estimateMessageBytes(message: Message): number {
  let bytes =
    MESSAGE_OVERHEAD_BYTES +
    message.from.length * 3 +
    message.to.length * 3 +
    message.context.length;
  for (const entry of message.entries) bytes += ENTRY_OVERHEAD_BYTES + entry.data.length;
  return bytes;
}

export function encodeMessage(message: Message): ProtoMessage {
  return {
    type: MESSAGE_TYPE_TO_PROTO[message.type],
    from: message.from,
    to: message.to,
    term: message.term,
    logTerm: message.logTerm,
    index: message.index,
    entries: message.entries.map(encodeEntry),
    commit: message.commit,
    reject: message.reject,
    rejectHint: message.rejectHint,
    context: message.context,
  };
}

function encodeEntry(entry: Entry): ProtoEntry {
  return {
    term: entry.term,
    index: entry.index,
    kind: ENTRY_KIND_TO_PROTO[entry.kind],
    data: entry.data,
  };
}

export function encodeSnapshotMeta(meta: SnapshotMeta): ProtoSnapshotMeta {
  return { index: meta.index, term: meta.term, conf: encodeConfState(meta.conf) };
}

function encodeConfState(conf: ConfState): ProtoConfState {
  return { voters: [...conf.voters], learners: [...conf.learners] };
}

export interface DecodeLimits {
  readonly maxEntriesPerMessage: number;
  readonly maxContextBytes: number;
  readonly maxMessageBytes: number;
}

/**
 * Decodes and validates one message received from a peer. `snapshot` is always null here: the
 * InstallSnapshot receiver attaches the reassembled snapshot itself.
 */
export function decodeMessage(proto: Message__Output, limits: DecodeLimits): Message {
  if (proto === null || typeof proto !== 'object') throw new MalformedMessageError('not a message');
  const type = MESSAGE_TYPE_FROM_PROTO.get(proto.type);
  if (type === undefined) {
    throw new MalformedMessageError(`unknown message type ${JSON.stringify(proto.type)}`);
  }
  const from = decodeNodeId(proto.from, 'from');
  const to = decodeNodeId(proto.to, 'to');
  const context = decodeBytes(proto.context, 'context');
  if (context.length > limits.maxContextBytes) {
    throw new MalformedMessageError(
      `context of ${context.length} bytes exceeds the limit of ${limits.maxContextBytes}`,
    );
  }
  const index = logIndex(decodeUint(proto.index, 'index'));
  const entries = decodeEntries(proto.entries, type, index, limits);
  return {
    type,
    from,
    to,
    term: term(decodeUint(proto.term, 'term')),
    logTerm: term(decodeUint(proto.logTerm, 'logTerm')),
    index,
    entries,
    commit: logIndex(decodeUint(proto.commit, 'commit')),
    reject: decodeBool(proto.reject, 'reject'),
    rejectHint: logIndex(decodeUint(proto.rejectHint, 'rejectHint')),
    snapshot: null,
    context,
  };
}

function decodeEntries(
  protoEntries: readonly Entry__Output[] | undefined | null,
  type: MessageType,
  previousIndex: number,
  limits: DecodeLimits,
): Entry[] {
  if (protoEntries === undefined || protoEntries === null) return [];
  if (!Array.isArray(protoEntries)) throw new MalformedMessageError('entries is not a list');
  const list: readonly Entry__Output[] = protoEntries;
  if (list.length === 0) return [];
  if (type !== 'append') {
    throw new MalformedMessageError(`a ${type} message carries no entries, got ${list.length}`);
  }
  if (list.length > limits.maxEntriesPerMessage) {
    throw new MalformedMessageError(
      `${list.length} entries exceed the limit of ${limits.maxEntriesPerMessage}`,
    );
  }
  const entries: Entry[] = [];
  let totalBytes = 0;
  for (const [position, proto] of list.entries()) {
    const entry = decodeEntry(proto);
    // An append's entries directly follow its `index` (the entry preceding them).
    if (entry.index !== previousIndex + 1 + position) {
      throw new MalformedMessageError(
        `entry ${position} has index ${entry.index}, expected ${previousIndex + 1 + position}`,
      );
    }
    totalBytes += entry.data.length;
    if (totalBytes > limits.maxMessageBytes) {
      throw new MalformedMessageError(
        `entries exceed the limit of ${limits.maxMessageBytes} bytes`,
      );
    }
    entries.push(entry);
  }
  return entries;
}

function decodeEntry(proto: Entry__Output): Entry {
  if (proto === null || typeof proto !== 'object')
    throw new MalformedMessageError('entry is not a message');
  const kind = ENTRY_KIND_FROM_PROTO.get(proto.kind);
  if (kind === undefined) {
    throw new MalformedMessageError(`unknown entry kind ${JSON.stringify(proto.kind)}`);
  }
  const index = decodeUint(proto.index, 'entry.index');
  if (index === 0) throw new MalformedMessageError('entry index 0 (the log starts at 1)');
  return {
    term: term(decodeUint(proto.term, 'entry.term')),
    index: logIndex(index),
    kind,
    data: decodeBytes(proto.data, 'entry.data'),
  };
}

/** Decodes and validates snapshot metadata received from a peer. */
export function decodeSnapshotMeta(proto: SnapshotMeta__Output | null | undefined): SnapshotMeta {
  if (proto === null || proto === undefined || typeof proto !== 'object') {
    throw new MalformedMessageError('snapshot metadata is missing');
  }
  return {
    index: logIndex(decodeUint(proto.index, 'snapshot.index')),
    term: term(decodeUint(proto.term, 'snapshot.term')),
    conf: decodeConfState(proto.conf),
  };
}

function decodeConfState(proto: ConfState__Output | null | undefined): ConfState {
  if (proto === null || proto === undefined || typeof proto !== 'object') {
    throw new MalformedMessageError('snapshot membership is missing');
  }
  const voters = decodeNodeIds(proto.voters, 'voters');
  const learners = decodeNodeIds(proto.learners, 'learners');
  if (voters.length === 0) throw new MalformedMessageError('snapshot membership has no voters');
  return { voters, learners };
}

function decodeNodeIds(values: unknown, field: string): NodeId[] {
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) throw new MalformedMessageError(`${field} is not a list`);
  if (values.length > MAX_CONF_MEMBERS) {
    throw new MalformedMessageError(
      `${field} has ${values.length} members, limit ${MAX_CONF_MEMBERS}`,
    );
  }
  return values.map((value: unknown) => decodeNodeId(value, field));
}

function decodeNodeId(value: unknown, field: string): NodeId {
  if (typeof value !== 'string' || value.length === 0) {
    throw new MalformedMessageError(`${field} is missing`);
  }
  if (value.length > MAX_NODE_ID_LENGTH) {
    throw new MalformedMessageError(`${field} is longer than ${MAX_NODE_ID_LENGTH} characters`);
  }
  return nodeId(value);
}

function decodeUint(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MalformedMessageError(
      `${field} is not a non-negative integer below 2^53: ${describe(value)}`,
    );
  }
  return value;
}

function decodeBool(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new MalformedMessageError(`${field} is not a boolean`);
  return value;
}

const EMPTY_BYTES = new Uint8Array(0);

function decodeBytes(value: unknown, field: string): Uint8Array {
  if (value === undefined || value === null) return EMPTY_BYTES;
  if (!(value instanceof Uint8Array)) throw new MalformedMessageError(`${field} is not bytes`);
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : typeof value;
}
