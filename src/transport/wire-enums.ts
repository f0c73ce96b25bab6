/**
 * raft.proto's enum numbers, read from the loaded .proto rather than kept by hand: the
 * hand-written batch encoder and parser (batch-encoder.ts, batch-decoder.ts) write and read
 * numbers, while codec.ts names our types by the proto's value names.
 */
import type { EnumTypeDefinition } from '@grpc/proto-loader';
import { assert } from '../lib/index.ts';
import type { EntryKind__Output } from '../gen/baton/raft/v1/EntryKind.ts';
import type { MessageType__Output } from '../gen/baton/raft/v1/MessageType.ts';
import { ENTRY_KIND_TO_PROTO, MESSAGE_TYPE_TO_PROTO } from './codec.ts';
import { raftPackage } from './proto.ts';

/** One enum's value names by number, as the generated decoder gives them. */
function namesByNumber<Name extends string>(definition: EnumTypeDefinition): Map<number, Name> {
  const values: unknown = (definition.type as { value?: unknown }).value;
  assert(Array.isArray(values), 'a loaded proto enum lists its values');
  const names = new Map<number, Name>();
  for (const value of values as Array<{ name: unknown; number: unknown }>) {
    assert(
      typeof value.name === 'string' && Number.isInteger(value.number),
      'a proto enum value has a name and a number',
    );
    names.set(value.number as number, value.name as Name);
  }
  return names;
}

/** Our names → the proto's numbers, through the proto's value names. */
function numbersOf<Ours extends string, Name extends string>(
  toProto: Record<Ours, Name>,
  byNumber: ReadonlyMap<number, Name>,
): Record<Ours, number> {
  const numbers = new Map([...byNumber].map(([number, name]) => [name, number]));
  const out = {} as Record<Ours, number>;
  for (const ours of Object.keys(toProto) as Ours[]) {
    const number = numbers.get(toProto[ours]);
    assert(number !== undefined, () => `raft.proto has no value ${toProto[ours]}`);
    out[ours] = number;
  }
  return out;
}

export const MESSAGE_TYPE_NAMES: ReadonlyMap<number, MessageType__Output> = namesByNumber(
  raftPackage().MessageType,
);
export const ENTRY_KIND_NAMES: ReadonlyMap<number, EntryKind__Output> = namesByNumber(
  raftPackage().EntryKind,
);
export const MESSAGE_TYPE_NUMBERS = numbersOf(MESSAGE_TYPE_TO_PROTO, MESSAGE_TYPE_NAMES);
export const ENTRY_KIND_NUMBERS = numbersOf(ENTRY_KIND_TO_PROTO, ENTRY_KIND_NAMES);
