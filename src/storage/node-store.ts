/**
 * Opens a node's data directory: identity check, lock, verification, and the two stores over one
 * LevelDB (so a state commit and the applied index share one atomic batch).
 */

import type { LogIndex, NodeId } from '../lib/index.ts';
import type { ConfState } from '../raft/types.ts';
import { writeBatch } from './batch-write.ts';
import type { BatchOperation } from './batch-write.ts';
import { decodeStringsPayload, encodeStrings, MalformedPayloadError, unframe } from './codec.ts';
import {
  checkIdentity,
  openDatabase,
  readIdentity,
  readRecoveryCorruption,
  writeIdentity,
} from './data-dir.ts';
import type { Database } from './data-dir.ts';
import { DataDirFormatError, StorageCorruptError } from './errors.ts';
import { IDENTITY_KEY, REMOVED_KEY } from './keys.ts';
import { initialLogWrites, LevelLogStore } from './level-log-store.ts';
import type { LogOpenReport } from './level-log-store.ts';
import { initialStateWrites, LevelStateStore } from './state-store.ts';

/** The subset of a pino logger the store uses. */
export interface StorageLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface OpenNodeStoreOptions {
  readonly dataDir: string;
  readonly clusterId: string;
  readonly nodeId: NodeId | string;
  /**
   * Membership for a brand-new directory: the initial voters when bootstrapping a cluster, or
   * empty voters and learners for a node joining an existing cluster (it waits for the leader).
   * Ignored when the directory already holds data.
   */
  readonly bootstrap: ConfState;
  readonly logger?: StorageLogger;
  /**
   * The cluster the IDENTITY file names when it differs from the database's: only
   * force-new-cluster passes it, to finish a run that crashed between writing the two.
   */
  readonly identityFileClusterId?: string;
}

export interface NodeStoreOpenReport {
  readonly dataDir: string;
  /** True when this open initialized a new data directory. */
  readonly created: boolean;
  readonly log: LogOpenReport;
  readonly appliedIndex: LogIndex;
  /**
   * Set when the state was behind the stored snapshot (a crash between installing a leader's
   * snapshot in the log and in the state) and open re-installed the snapshot into the state.
   */
  readonly restoredStateFromSnapshot: LogIndex | null;
  /** What markRemoved recorded, if this node learned it was removed from the cluster. */
  readonly removed: string | null;
  /** Things an operator should know (each also logged at warn when a logger was given). */
  readonly warnings: readonly string[];
}

export interface NodeStore {
  readonly log: LevelLogStore;
  readonly state: LevelStateStore;
  readonly openReport: NodeStoreOpenReport;
  /**
   * Records (synced) that this node was removed from the cluster, so that a later start on this
   * directory is refused at once instead of rediscovering it from its peers.
   */
  markRemoved(detail: string): Promise<void>;
  /** Waits for writes in flight, then closes LevelDB and releases the directory lock. */
  close(): Promise<void>;
}

export async function openNodeStore(options: OpenNodeStoreOptions): Promise<NodeStore> {
  const { dataDir, clusterId } = options;
  const nodeId = String(options.nodeId);
  const db = await openDatabase(dataDir);
  const recoveryCorruption = await readRecoveryCorruption(dataDir).catch(() => []);
  try {
    const created = await ensureIdentity(
      db,
      dataDir,
      { clusterId, nodeId },
      options.bootstrap,
      options.identityFileClusterId ?? clusterId,
    );
    const { store: log, report: logReport } = await LevelLogStore.open(db, dataDir).catch(
      (error: unknown) => {
        throw withRecoveryCorruption(error, recoveryCorruption);
      },
    );
    const { store: state } = await LevelStateStore.open(db, dataDir);
    const warnings: string[] = [];
    if (recoveryCorruption.length > 0) {
      // The log verified whole (no gap, nothing committed missing): what LevelDB dropped was a
      // damaged tail, i.e. a write that never completed.
      warnings.push(
        `LevelDB dropped damaged write-ahead-log records while opening; the log verified intact, so they were most likely an unfinished final write (if the disk is suspect, wipe the directory and rejoin): ${recoveryCorruption.join(' | ')}`,
      );
    }
    if (logReport.truncatedTornEntry !== null) {
      const torn = logReport.truncatedTornEntry;
      warnings.push(
        `truncated a torn final log entry ${torn.index} (${torn.detail}); it had never been acknowledged`,
      );
    }
    let restoredStateFromSnapshot: LogIndex | null = null;
    const snapshot = log.storedSnapshot();
    if (state.appliedIndex() < snapshot.meta.index) {
      if (log.snapshotIsInState()) {
        // The log was compacted only once the state was durable there: this state is not that one.
        throw new StorageCorruptError(
          'applied index',
          dataDir,
          `the state is at applied index ${state.appliedIndex()}, but the log was compacted up to ${snapshot.meta.index} after the state had been made durable there; the entries in between are gone (wipe the directory and let the node rejoin)`,
        );
      }
      await state.importSnapshot(snapshot.data, snapshot.meta.index);
      await log.releaseSnapshotData(snapshot.meta.index);
      restoredStateFromSnapshot = snapshot.meta.index;
      warnings.push(
        `the state was behind the stored snapshot; re-installed the snapshot at index ${snapshot.meta.index}`,
      );
    }
    if (state.appliedIndex() > log.lastIndex()) {
      throw new StorageCorruptError(
        'applied index',
        dataDir,
        `applied index ${state.appliedIndex()} is past the last log entry ${log.lastIndex()}`,
      );
    }
    // The replica commits state only for entries already durable in the log, so its unsynced
    // state batches may ride in the log's next write (one LevelDB write per Ready, not two).
    state.carryUnsyncedCommitsWith(log);
    const openReport: NodeStoreOpenReport = {
      dataDir,
      created,
      log: logReport,
      appliedIndex: state.appliedIndex(),
      restoredStateFromSnapshot,
      removed: await readRemoved(db, dataDir),
      warnings,
    };
    for (const warning of warnings) options.logger?.warn({ dataDir }, warning);
    options.logger?.info(
      {
        dataDir,
        created,
        firstIndex: logReport.firstIndex,
        lastIndex: logReport.lastIndex,
        appliedIndex: openReport.appliedIndex,
        term: logReport.hardState.term,
      },
      'opened data directory',
    );
    let closed: Promise<void> | null = null;
    return {
      log,
      state,
      openReport,
      markRemoved: async (detail) => {
        await writeBatch(db, [{ type: 'put', key: REMOVED_KEY, value: encodeStrings([detail]) }], {
          sync: true,
        });
      },
      close: () => {
        closed ??= (async () => {
          await Promise.allSettled([log.flush(), state.flush()]);
          await db.close();
        })();
        return closed;
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function readRemoved(db: Database, dataDir: string): Promise<string | null> {
  const value = await db.get(REMOVED_KEY);
  if (value === undefined) return null;
  const unframed = unframe(value);
  if (!unframed.ok) throw new StorageCorruptError('removal record', dataDir, unframed.detail);
  try {
    return decodeStringsPayload(unframed.payload)[0] ?? '';
  } catch (error) {
    if (error instanceof MalformedPayloadError || error instanceof TypeError)
      throw new StorageCorruptError('removal record', dataDir, error.message);
    throw error;
  }
}

/** Adds what LevelDB reported while recovering to a corruption found afterwards: it is the likely cause. */
function withRecoveryCorruption(error: unknown, lines: readonly string[]): unknown {
  if (!(error instanceof StorageCorruptError) || lines.length === 0) return error;
  return new StorageCorruptError(
    error.what,
    error.dataDir,
    `${error.detail}; LevelDB reported dropping damaged records while opening: ${lines.join(' | ')}`,
    { cause: error },
  );
}

/**
 * Checks the directory's identity (file and database copy agree with the caller), or initializes
 * a new directory. Returns true when it initialized. Order matters for crash safety: the identity
 * file is written before the database is initialized, and an initialized database is one that
 * holds IDENTITY_KEY — so a crash in between leaves a directory this function completes.
 */
async function ensureIdentity(
  db: Database,
  dataDir: string,
  expected: { clusterId: string; nodeId: string },
  bootstrap: ConfState,
  fileClusterId: string,
): Promise<boolean> {
  const fileIdentity = await readIdentity(dataDir);
  const storedValue = await db.get(IDENTITY_KEY);
  if (fileIdentity === null) {
    if (!(await isEmpty(db))) {
      throw new DataDirFormatError(
        dataDir,
        'its identity file (IDENTITY) is missing but its database holds data; restore the file or wipe the directory',
      );
    }
    await writeIdentity(dataDir, expected);
  } else {
    checkIdentity(dataDir, fileIdentity, { ...expected, clusterId: fileClusterId });
  }
  if (storedValue !== undefined) {
    const stored = decodeIdentity(dataDir, storedValue);
    checkIdentity(
      dataDir,
      { ...stored, formatVersion: fileIdentity?.formatVersion ?? 0 },
      expected,
    );
    return false;
  }
  if (!(await isEmpty(db))) {
    throw new StorageCorruptError(
      'node identity record',
      dataDir,
      'the record is missing but the database holds data',
    );
  }
  await writeBatch(
    db,
    [identityRecord(expected), ...initialLogWrites(bootstrap), ...initialStateWrites()],
    { sync: true },
  );
  return true;
}

/** The database's copy of the directory's identity (the IDENTITY file is the other). */
export function identityRecord(identity: { clusterId: string; nodeId: string }): BatchOperation {
  return {
    type: 'put',
    key: IDENTITY_KEY,
    value: encodeStrings([identity.clusterId, identity.nodeId]),
  };
}

/**
 * The identity recorded inside the database, or null when it was never initialized. Holds the
 * directory's lock while it reads (DataDirLockedError if a node is running on it).
 */
export async function readDatabaseIdentity(
  dataDir: string,
): Promise<{ clusterId: string; nodeId: string } | null> {
  const db = await openDatabase(dataDir);
  try {
    const value = await db.get(IDENTITY_KEY);
    return value === undefined ? null : decodeIdentity(dataDir, value);
  } finally {
    await db.close();
  }
}

function decodeIdentity(dataDir: string, value: Uint8Array): { clusterId: string; nodeId: string } {
  const unframed = unframe(value);
  if (!unframed.ok) throw new StorageCorruptError('node identity record', dataDir, unframed.detail);
  try {
    const [clusterId, nodeId, ...rest] = decodeStringsPayload(unframed.payload);
    if (clusterId === undefined || nodeId === undefined || rest.length > 0)
      throw new MalformedPayloadError('expected two strings');
    return { clusterId, nodeId };
  } catch (error) {
    if (error instanceof MalformedPayloadError || error instanceof TypeError) {
      throw new StorageCorruptError('node identity record', dataDir, error.message);
    }
    throw error;
  }
}

async function isEmpty(db: Database): Promise<boolean> {
  const keys = await db.keys({ limit: 1 }).all();
  return keys.length === 0;
}
