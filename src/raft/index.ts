/**
 * The public face of the Raft core. Import from here, not from the files behind it.
 *
 * Membership note for hosts: a node joining an existing cluster must be started with the
 * cluster's original bootstrap ConfState (the one its founders used) in its storage, and empty
 * otherwise. It learns every later change from the log (or from a snapshot, whose conf replaces
 * it); with an empty bootstrap it would compute a wrong membership from the log.
 *
 * On restart, pass `applied` = the index the state machine's durable state reflects. If storage
 * holds a snapshot newer than that (a crash between persisting a leader's snapshot and installing
 * it), install storage.snapshot() into the state machine first and pass its index: the core
 * resumes after the storage's first index and never hands that snapshot out again.
 *
 * To know the membership at its applied index (for the snapshots it makes), a host applies each
 * committed `config` entry with applyConfChangeEntry, starting from storage's initialState().conf.
 */
export { RaftNode } from './node.ts';
export { MemoryStorage } from './memory-storage.ts';
export {
  applyConfChange,
  applyConfChangeEntry,
  decodeConfChange,
  encodeConfChange,
  isMember,
  isVoter,
} from './conf-change.ts';
export { ENTRY_OVERHEAD_BYTES, entrySizeBytes } from './entry.ts';
export { MAX_PENDING_READS } from './read-only.ts';
export * from './errors.ts';
export type * from './types.ts';
