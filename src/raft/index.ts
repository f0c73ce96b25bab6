/**
 * The public face of the Raft core. Import from here, not from the files behind it.
 *
 * Membership note for hosts: a founding node starts with the founders' ConfState as its
 * storage's bootstrap (the snapshot at index 0); a node joining an existing cluster starts with an
 * empty one, no snapshot and no log. The core then refuses every append until a leader's snapshot
 * gives it the cluster's state and membership (it would compute a wrong membership by replaying
 * the log onto an empty one), and grants no vote before that.
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
export { chooseSnapshot } from './snapshot-choice.ts';
export * from './errors.ts';
export type * from './types.ts';
