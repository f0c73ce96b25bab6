import type { Entry } from './types.ts';

/**
 * Fixed per-entry cost counted on top of the payload: term, index and kind travel with every entry.
 * One number shared by the core and every storage implementation, so a `maxBytes` limit means the
 * same thing everywhere (the storage contract suite checks it).
 */
export const ENTRY_OVERHEAD_BYTES = 16;

/** The size an entry counts for in every byte limit. O(1): never encodes the entry. */
export function entrySizeBytes(entry: Entry): number {
  return entry.data.length + ENTRY_OVERHEAD_BYTES;
}

/**
 * The prefix of `entries` that fits in `maxBytes`, but at least one entry (an entry larger than
 * the limit must still be able to travel alone, or the log would stall behind it).
 */
export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]!);
  let count = 1;
  while (count < entries.length) {
    size += entrySizeBytes(entries[count]!);
    if (size > maxBytes) break;
    count++;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}
