import type { Definition } from './types.ts';

/**
 * The canonical serialization of a definition: JSON with object keys sorted (by UTF-16 code
 * units, as Array.prototype.sort does everywhere), no white space, undefined fields omitted.
 * Two documents that mean the same definition — keys reordered, YAML instead of JSON, defaults
 * spelled out or left implicit, `=` before an expression or not — serialize identically, so the
 * engine registers a new version only when this text changes.
 */
export function canonicalDefinitionJson(definition: Definition): string {
  return canonicalJson(definition);
}

/** Canonical JSON of any JSON-compatible value (see canonicalDefinitionJson). */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

function write(value: unknown, parts: string[]): void {
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  ) {
    parts.push(JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    parts.push('[');
    value.forEach((item, i) => {
      if (i > 0) parts.push(',');
      write(item === undefined ? null : item, parts);
    });
    parts.push(']');
    return;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    parts.push('{');
    keys.forEach((key, i) => {
      if (i > 0) parts.push(',');
      parts.push(JSON.stringify(key), ':');
      write(record[key], parts);
    });
    parts.push('}');
    return;
  }
  throw new TypeError(`canonicalJson: cannot serialize a ${typeof value}`);
}
