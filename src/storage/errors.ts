import { BatonError } from '../lib/index.ts';

/**
 * The node's own disk holds data that fails a checksum or an invariant. The node must stop rather
 * than serve wrong data (DESIGN.md rule 9); its peers still hold the committed log.
 */
export class StorageCorruptError extends BatonError {
  override readonly name = 'StorageCorruptError';
  /** What is broken, e.g. "log entry 1234" or "hard state". */
  readonly what: string;
  readonly dataDir: string;
  readonly detail: string;

  constructor(what: string, dataDir: string, detail: string, options?: { cause?: unknown }) {
    super(
      'DATA_LOSS',
      `storage corrupt: ${what} in data directory ${dataDir}: ${detail}. ` +
        `This node cannot continue safely. Restore it from its peers: stop the node, wipe the ` +
        `data directory (${dataDir}) and start it again to rejoin the cluster; it will receive a ` +
        `snapshot from the leader.`,
      options,
    );
    this.what = what;
    this.dataDir = dataDir;
    this.detail = detail;
  }
}

/** The data directory belongs to another cluster or another node. */
export class DataDirMismatchError extends BatonError {
  override readonly name = 'DataDirMismatchError';

  constructor(
    dataDir: string,
    found: { clusterId: string; nodeId: string },
    expected: { clusterId: string; nodeId: string },
  ) {
    super(
      'FAILED_PRECONDITION',
      `data directory ${dataDir} belongs to cluster "${found.clusterId}" node "${found.nodeId}", ` +
        `but this node was started as cluster "${expected.clusterId}" node "${expected.nodeId}". ` +
        `Point --data at this node's own directory, or use an empty directory to join as a new node.`,
    );
  }
}

/** The data directory was written by a format this version cannot read, or its identity file is unreadable. */
export class DataDirFormatError extends BatonError {
  override readonly name = 'DataDirFormatError';

  constructor(dataDir: string, detail: string) {
    super('FAILED_PRECONDITION', `data directory ${dataDir} cannot be used: ${detail}`);
  }
}

/** Another process (or another store in this process) has the data directory open. */
export class DataDirLockedError extends BatonError {
  override readonly name = 'DataDirLockedError';

  constructor(dataDir: string, options?: { cause?: unknown }) {
    super(
      'FAILED_PRECONDITION',
      `data directory ${dataDir} is locked by another process: is another Baton node already ` +
        `running with this directory? Stop it first, or give this node its own --data directory.`,
      options,
    );
  }
}

/** A state snapshot fails its checksum or its format; nothing was changed. */
export class SnapshotDataCorruptError extends BatonError {
  override readonly name = 'SnapshotDataCorruptError';

  constructor(detail: string) {
    super('DATA_LOSS', `state snapshot rejected (state left unchanged): ${detail}`);
  }
}

/** The state is larger than a snapshot (one in-memory buffer) may be; nothing was exported. */
export class StateTooLargeError extends BatonError {
  override readonly name = 'StateTooLargeError';

  constructor(limitBytes: number) {
    super(
      'RESOURCE_EXHAUSTED',
      `the state exceeds ${limitBytes} bytes, the most a state snapshot (one in-memory buffer) may hold: it cannot be exported for a backup or a follower that needs a snapshot`,
    );
  }
}
