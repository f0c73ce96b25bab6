import { CorruptStateError } from './errors.ts';

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, finite numbers only. Every value
 * the engine stores goes through it, so the same state serializes to the same bytes on every node
 * whatever order its properties were created in (DESIGN.md rule 3).
 */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Maximum nesting the canonicalizer follows; deeper values are rejected, never recursed into. */
export const MAX_JSON_DEPTH = 64;

export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_JSON_DEPTH) throw new RangeError(`value nests deeper than ${MAX_JSON_DEPTH}`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item: unknown) => write(item === undefined ? null : item, depth + 1)).join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], depth + 1)}`).join(',')}}`;
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new RangeError(`not a JSON value: ${typeof value}`);
  }
  throw new RangeError('not a JSON value');
}

/** Converts any JS value into plain JSON (throws RangeError when it is not representable). */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(canonicalJson(value)) as JsonValue;
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** Decodes a value the engine itself stored; a failure means the state on disk is corrupt. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the stored shape
export function decodeStored<T>(bytes: Uint8Array, key: string): T {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (cause) {
    throw new CorruptStateError(`stored value at ${key} is not valid JSON`, { cause });
  }
}

/** Decodes bytes from outside (a command); returns undefined when they are not UTF-8 JSON. */
export function tryDecodeJson(
  bytes: Uint8Array,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, reason: 'not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (cause) {
    return {
      ok: false,
      reason: `not valid JSON (${cause instanceof Error ? cause.message : 'parse error'})`,
    };
  }
}

/** A fixed-width decimal so numbers sort as strings in LevelDB key order. */
export function padNumber(value: number, width = 16): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot pad ${value}`);
  const text = String(value);
  if (text.length > width) throw new RangeError(`${value} is wider than ${width} digits`);
  return text.padStart(width, '0');
}
