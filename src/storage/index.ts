/**
 * LevelDB persistence for a node: the Raft log store, the state machine's store, and the data
 * directory that holds them, all in one LevelDB. Open both with `openNodeStore`.
 *
 * How the replica uses it:
 * - `log` is the core's `RaftStorage` and the host's `RaftLogStore`: `save(ready)` persists
 *   (fsync) snapshot + entries + hard state as one batch; saves run in call order.
 * - Applying a run of committed entries: `const b = state.beginBatch()`, `apply(…, b)` for each,
 *   then `state.commit(b, lastAppliedIndex, { sync })`. Commits run in call order; a batch begun
 *   before the previous commit finished already sees its writes. `sync: false` is safe: the log
 *   holds the entries durably and a later fsynced write of the same LevelDB flushes it too.
 * - Compaction: `await state.makeDurable()` (the state as of every commit called so far is on
 *   disk for good), then `log.compact({ index, term: log.term(index), conf }, retain)` with an
 *   index at or before the last commit: the state store is the snapshot from then on.
 * - A snapshot for a follower: `log.snapshot()` asks the `SnapshotSource` set with
 *   `log.setSnapshotSource`, which exports the state (`state.exportSnapshot()`, whose index
 *   `stateSnapshotIndex(data)` reads back) and throws SnapshotTemporarilyUnavailableError meanwhile.
 * - Snapshot from the leader: `await log.save({ snapshot, … })`, then
 *   `await state.importSnapshot(snapshot.data, snapshot.meta.index)`. A crash in between is
 *   repaired by the next `openNodeStore` (it re-installs the log's snapshot into the state).
 *
 * Offline, on a stopped node's directory (the `baton` CLI): `forceNewCluster` (a quorum lost for
 * good: this node becomes the only voter of a new cluster), and `restoreBackup` (a new directory
 * from a backup file written by `writeBackupFile`).
 */
export { openNodeStore } from './node-store.ts';
export type {
  NodeStore,
  NodeStoreOpenReport,
  OpenNodeStoreOptions,
  StorageLogger,
} from './node-store.ts';
export { LevelLogStore } from './level-log-store.ts';
export type { LogOpenReport, SnapshotSource } from './level-log-store.ts';
export { LevelStateStore, MAX_BATCH_WRITES } from './state-store.ts';
export type { CommitOptions, StateBatch, StateOpenReport } from './state-store.ts';
export {
  MAX_STATE_SNAPSHOT_BYTES,
  parseStateSnapshot,
  stateSnapshotIndex,
  validateStateSnapshot,
} from './state-snapshot.ts';
export { DATA_DIR_FORMAT_VERSION } from './data-dir.ts';
export {
  DiskSpaceMonitor,
  freeBytesAt,
  nextDiskCritical,
  nextDiskLow,
  recoveryThreshold,
  SMALLEST_SAFE_RESERVE_BYTES,
} from './disk-space.ts';
export type { DiskSpaceMonitorOptions } from './disk-space.ts';
export { crc32c } from './crc32c.ts';
export {
  BackupError,
  readBackupFile,
  restoreBackup,
  verifyBackup,
  writeBackupFile,
} from './backup.ts';
export type { Backup, BackupHeader, RestoreOptions } from './backup.ts';
export { forceNewCluster, RecoveryRefusedError } from './force-new-cluster.ts';
export type { ForceNewClusterOptions, ForceNewClusterReport } from './force-new-cluster.ts';
export {
  DataDirFormatError,
  DataDirLockedError,
  DataDirMismatchError,
  SnapshotDataCorruptError,
  StateTooLargeError,
  StorageCorruptError,
} from './errors.ts';
