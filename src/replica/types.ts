/**
 * What the replica needs from the node's state store (src/storage's LevelStateStore implements
 * it): the state machine's keyspace plus the applied index, written together in one batch
 * (DESIGN.md rule 4).
 */
import type { KvReader, KvView, LogIndex } from '../lib/index.ts';
import type { RaftLogStore, Snapshot, SnapshotMeta } from '../raft/types.ts';

/** What the replica needs from the node's log store (src/storage's LevelLogStore implements it). */
export interface ReplicaLogStore extends RaftLogStore {
  /**
   * Drops the log up to `meta.index` (keeping `retainEntries` before it) and records `meta` as the
   * snapshot, without data: the caller made the state store durable at or past that index.
   */
  compact(meta: SnapshotMeta, retainEntries: number): Promise<void>;
  /** The snapshot as stored (its data is empty after a compaction: the state store holds it). */
  storedSnapshot(): Snapshot;
  /** True when the stored snapshot is a compaction point backed by the state store. */
  snapshotIsInState(): boolean;
  /**
   * Once the state store holds the stored snapshot at `index` durably, drops its data: the
   * snapshot becomes a compaction point backed by the state (no-op for any other index).
   */
  releaseSnapshotData(index: LogIndex): Promise<void>;
  /**
   * Where snapshot() gets one for a follower, at or past `minIndex` (the compaction point, or
   * what a node with no base must get); it may throw SnapshotTemporarilyUnavailableError.
   */
  setSnapshotSource(source: ((minIndex: LogIndex) => Snapshot) | null): void;
}

export interface ReplicaStateStore<Batch extends KvView = KvView> {
  /** The index of the last entry whose effects are in the store. */
  appliedIndex(): LogIndex;
  /** A write overlay over the current state (read-your-writes); nothing is durable until commit. */
  beginBatch(): Batch;
  /** Writes the batch and `appliedIndex` in one atomic LevelDB batch. */
  commit(
    batch: Batch,
    appliedIndex: LogIndex,
    options: { sync: boolean; rideOnCarrier?: boolean },
  ): Promise<void>;
  /** Reads the committed state. */
  reader(): KvReader;
  /** The whole state machine keyspace, serialized; consistent with appliedIndex(). */
  exportSnapshot(): Promise<Uint8Array>;
  /** Replaces the whole keyspace with `data` and sets the applied index, atomically. */
  importSnapshot(data: Uint8Array, index: LogIndex): Promise<void>;
  /** Resolves once every commit called so far is on disk for good (the log may then be compacted). */
  makeDurable(): Promise<void>;
  /**
   * Starts writing the commits made with rideOnCarrier that still wait for the log's next write;
   * the replica calls it when no log write is coming soon.
   */
  writePending(): void;
}

/** The outcome of a proposal that committed and was applied at `index`. */
export interface ProposalResult<Result = unknown> {
  readonly index: LogIndex;
  readonly result: Result;
}

export interface MemberInfo {
  readonly id: string;
  readonly address: string;
  readonly voter: boolean;
  /** Leader only: highest index known on the member; 0 elsewhere. */
  readonly matchIndex: number;
  /** Its data volume is below its free-space minimum, as this node last heard. */
  readonly diskLow: boolean;
  /** Its free bytes when it reported low; 0 otherwise. */
  readonly diskFreeBytes: number;
  /** Its free space is below this node's storage.criticalFreeDiskBytes (so it is low too). */
  readonly diskCritical: boolean;
  /**
   * Leader only: milliseconds since the leader last heard from it, once past an election timeout
   * (down, paused or cut off); 0 while it answers, for the leader itself, and on a follower.
   */
  readonly silentMs: number;
}
