/**
 * The small replicated key-value map used by tests, benchmarks and the Kv service, and the member
 * address book (node id → host:port) that membership changes need: a ConfChange carries only a
 * node id, so AddNode first replicates the address through this map, then proposes the change.
 *
 * Keyspace (inside the state machine's region; the engine uses its own prefixes):
 *   "kv/" + key        a user value
 *   "sys/member/" + id a member's advertised address (UTF-8)
 *
 * KV command body (after the family tag):
 *   op:u8 ‖ keyLength:u32be ‖ key:utf8 ‖ value:bytes
 *   op 1 PUT, 2 DELETE (value empty), 3 SET_MEMBER_ADDRESS (key = node id, value = address utf8),
 *   4 DELETE_MEMBER_ADDRESS.
 */
import type { ApplyContext, KvReader, KvView, StateMachine } from '../lib/index.ts';
import { CommandFamily, wrapCommand } from './command.ts';

export const KvOp = { PUT: 1, DELETE: 2, SET_MEMBER_ADDRESS: 3, DELETE_MEMBER_ADDRESS: 4 } as const;
export type KvOp = (typeof KvOp)[keyof typeof KvOp];

export const USER_KEY_PREFIX = 'kv/';
export const MEMBER_KEY_PREFIX = 'sys/member/';
/** Upper bound of the member prefix range ("/" + 1 = "0"). */
const MEMBER_KEY_END = 'sys/member0';
/** Most members the address book lists in one scan (a cluster is a handful of nodes). */
export const MAX_MEMBERS = 1_000;

export type KvResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const HEADER_BYTES = 5;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeKvCommand(
  op: KvOp,
  key: string,
  value: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const keyBytes = encoder.encode(key);
  const body = new Uint8Array(HEADER_BYTES + keyBytes.length + value.length);
  const view = new DataView(body.buffer);
  body[0] = op;
  view.setUint32(1, keyBytes.length);
  body.set(keyBytes, HEADER_BYTES);
  body.set(value, HEADER_BYTES + keyBytes.length);
  return wrapCommand(CommandFamily.KV, body);
}

export const kvPut = (key: string, value: Uint8Array): Uint8Array =>
  encodeKvCommand(KvOp.PUT, key, value);
export const kvDelete = (key: string): Uint8Array => encodeKvCommand(KvOp.DELETE, key);
export const setMemberAddress = (id: string, address: string): Uint8Array =>
  encodeKvCommand(KvOp.SET_MEMBER_ADDRESS, id, encoder.encode(address));
export const deleteMemberAddress = (id: string): Uint8Array =>
  encodeKvCommand(KvOp.DELETE_MEMBER_ADDRESS, id);

interface DecodedKvCommand {
  readonly op: number;
  readonly key: string;
  readonly value: Uint8Array;
}

function decode(body: Uint8Array): DecodedKvCommand | null {
  if (body.length < HEADER_BYTES) return null;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const keyLength = view.getUint32(1);
  if (HEADER_BYTES + keyLength > body.length) return null;
  let key: string;
  try {
    key = decoder.decode(body.subarray(HEADER_BYTES, HEADER_BYTES + keyLength));
  } catch {
    return null;
  }
  return { op: body[0]!, key, value: body.subarray(HEADER_BYTES + keyLength) };
}

/** Applies KV command bodies (the family tag already stripped by the router). */
export class KvStateMachine implements StateMachine<KvResult> {
  apply(command: Uint8Array, _context: ApplyContext, view: KvView): Promise<KvResult> {
    const decoded = decode(command);
    if (decoded === null) return Promise.resolve({ ok: false, reason: 'malformed KV command' });
    switch (decoded.op) {
      case KvOp.PUT:
        // Copy: the command buffer belongs to the log entry, the value to the state.
        view.put(USER_KEY_PREFIX + decoded.key, decoded.value.slice());
        return Promise.resolve({ ok: true });
      case KvOp.DELETE:
        view.del(USER_KEY_PREFIX + decoded.key);
        return Promise.resolve({ ok: true });
      case KvOp.SET_MEMBER_ADDRESS:
        view.put(MEMBER_KEY_PREFIX + decoded.key, decoded.value.slice());
        return Promise.resolve({ ok: true });
      case KvOp.DELETE_MEMBER_ADDRESS:
        view.del(MEMBER_KEY_PREFIX + decoded.key);
        return Promise.resolve({ ok: true });
      default:
        return Promise.resolve({ ok: false, reason: `unknown KV op ${decoded.op}` });
    }
  }
}

export async function readUserValue(
  reader: KvReader,
  key: string,
): Promise<Uint8Array | undefined> {
  return reader.get(USER_KEY_PREFIX + key);
}

export async function readMemberAddress(reader: KvReader, id: string): Promise<string | undefined> {
  const value = await reader.get(MEMBER_KEY_PREFIX + id);
  return value === undefined ? undefined : decoder.decode(value);
}

export async function readAddressBook(reader: KvReader): Promise<Map<string, string>> {
  const rows = await reader.scan({
    gte: MEMBER_KEY_PREFIX,
    lt: MEMBER_KEY_END,
    limit: MAX_MEMBERS,
  });
  const book = new Map<string, string>();
  for (const [key, value] of rows)
    book.set(key.slice(MEMBER_KEY_PREFIX.length), decoder.decode(value));
  return book;
}
