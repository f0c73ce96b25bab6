/**
 * Backups: a file holding one node's whole state at a log position (from Admin.Backup), and the
 * restore that turns it into the data directory of a new cluster's first node (etcd's
 * `snapshot save` / `snapshot restore`).
 *
 * File layout: "BTBK" | version u8 (1) | header length u32be | header (JSON) | state snapshot.
 * The header names where the state came from and carries the state's length and CRC-32C; the
 * state snapshot (state-snapshot.ts) has its own checksum trailer as well.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BatonError, logIndex, term as toTerm } from '../lib/index.ts';
import type { LogIndex, NodeId, Term } from '../lib/index.ts';
import { crc32c } from './crc32c.ts';
import { fsyncDirectory } from './data-dir.ts';
import { openNodeStore } from './node-store.ts';
import {
  MAX_STATE_SNAPSHOT_BYTES,
  stateSnapshotIndex,
  validateStateSnapshot,
} from './state-snapshot.ts';

const MAGIC = Buffer.from('BTBK', 'latin1');
const VERSION = 1;
const PREFIX_BYTES = MAGIC.length + 1 + 4;
const MAX_HEADER_BYTES = 64 * 1024;

export interface BackupHeader {
  readonly clusterId: string;
  /** The node that served the backup. */
  readonly nodeId: string;
  /** The log position the state is as of. */
  readonly index: LogIndex;
  readonly term: Term;
  /** The membership at that position (for the record: a restore starts a new one). */
  readonly voters: readonly string[];
  readonly learners: readonly string[];
  readonly dataBytes: number;
  readonly dataCrc32c: number;
  /** When the backup was written (ISO 8601). */
  readonly createdAt: string;
}

export interface Backup {
  readonly header: BackupHeader;
  /** The state snapshot (state-snapshot.ts format). */
  readonly data: Uint8Array;
}

/** A backup file that is damaged, truncated or not a backup; or a restore that cannot proceed. */
export class BackupError extends BatonError {
  override readonly name = 'BackupError';

  constructor(detail: string) {
    super('FAILED_PRECONDITION', detail);
  }
}

/** Checks the state against the header (length, checksum, index): true data or BackupError. */
export function verifyBackup(backup: Backup): void {
  const { header, data } = backup;
  if (data.length !== header.dataBytes)
    throw new BackupError(`the state is ${data.length} bytes, the header says ${header.dataBytes}`);
  const actual = crc32c(data);
  if (actual !== header.dataCrc32c) {
    throw new BackupError(
      `the state's checksum is 0x${actual.toString(16)}, the header says 0x${header.dataCrc32c.toString(16)}: the backup is damaged`,
    );
  }
  let index: LogIndex;
  try {
    index = stateSnapshotIndex(data);
  } catch (error) {
    throw new BackupError(`the state is not a Baton state snapshot (${String(error)})`);
  }
  if (index !== header.index)
    throw new BackupError(`the state is as of index ${index}, the header says ${header.index}`);
}

/** Writes the backup atomically (temporary file, fsync, rename, fsync of the directory). */
export async function writeBackupFile(path: string, backup: Backup): Promise<void> {
  verifyBackup(backup);
  const header = Buffer.from(JSON.stringify(backup.header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix[MAGIC.length] = VERSION;
  prefix.writeUInt32BE(header.length, MAGIC.length + 1);
  const temporary = join(dirname(path), `.${basename(path)}.tmp`);
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writev([prefix, header, backup.data]);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await fsyncDirectory(dirname(path));
}

/** Reads and verifies a backup file; BackupError says what is wrong with it. */
export async function readBackupFile(path: string): Promise<Backup> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new BackupError(`cannot read backup ${path}: ${(error as Error).message}`);
  }
  if (size > PREFIX_BYTES + MAX_HEADER_BYTES + MAX_STATE_SNAPSHOT_BYTES)
    throw new BackupError(`${path} is ${size} bytes: larger than any Baton backup`);
  const file = await open(path, 'r');
  let bytes: Buffer;
  try {
    bytes = await file.readFile();
  } finally {
    await file.close();
  }
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC))
    throw new BackupError(`${path} is not a Baton backup`);
  if (bytes[MAGIC.length] !== VERSION)
    throw new BackupError(
      `${path} has backup format ${bytes[MAGIC.length]}; this Baton reads ${VERSION}`,
    );
  const headerLength = bytes.readUInt32BE(MAGIC.length + 1);
  if (headerLength > MAX_HEADER_BYTES || PREFIX_BYTES + headerLength > bytes.length)
    throw new BackupError(`${path} is truncated or damaged (header of ${headerLength} bytes)`);
  const header = parseHeader(
    path,
    bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLength),
  );
  const backup = { header, data: bytes.subarray(PREFIX_BYTES + headerLength) };
  try {
    verifyBackup(backup);
  } catch (error) {
    if (error instanceof BackupError) throw new BackupError(`${path}: ${error.message}`);
    throw error;
  }
  return backup;
}

function parseHeader(path: string, text: string): BackupHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BackupError(`${path} is damaged: its header is not JSON`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const string = (name: string): string => {
    const value = record[name];
    if (typeof value !== 'string') throw new BackupError(`${path}: header field ${name} missing`);
    return value;
  };
  const count = (name: string, max = Number.MAX_SAFE_INTEGER): number => {
    const value = record[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max)
      throw new BackupError(`${path}: header field ${name} is not a valid number`);
    return value;
  };
  const ids = (name: string): string[] => {
    const value = record[name];
    if (!Array.isArray(value) || !value.every((id) => typeof id === 'string'))
      throw new BackupError(`${path}: header field ${name} is not a list of node ids`);
    return value;
  };
  return {
    clusterId: string('clusterId'),
    nodeId: string('nodeId'),
    index: logIndex(count('index')),
    term: toTerm(count('term')),
    voters: ids('voters'),
    learners: ids('learners'),
    dataBytes: count('dataBytes'),
    dataCrc32c: count('dataCrc32c', 0xffffffff),
    createdAt: string('createdAt'),
  };
}

export interface RestoreOptions {
  readonly backup: Backup;
  /** Must not exist, or be empty. */
  readonly dataDir: string;
  readonly nodeId: NodeId;
  readonly clusterId: string;
}

/**
 * Makes `dataDir` the directory of a node that is the only voter of a cluster holding the
 * backup's state, its log starting after the backup's position (as if it had installed it as a
 * leader's snapshot). Built beside the target and renamed into place last: a crash leaves no
 * half-restored directory a node could start on.
 */
export async function restoreBackup(options: RestoreOptions): Promise<void> {
  const { backup, dataDir, nodeId, clusterId } = options;
  verifyBackup(backup);
  // The whole state is checked before anything is written (keys, order, record count).
  validateStateSnapshot(backup.data);
  if (!(await isAbsentOrEmpty(dataDir)))
    throw new BackupError(`${dataDir} holds data: restore into a new (or empty) directory`);
  const building = join(dirname(dataDir), `.${basename(dataDir)}.restoring`);
  await rm(building, { recursive: true, force: true });
  await mkdir(dirname(dataDir), { recursive: true });
  const conf = { voters: [nodeId], learners: [] };
  const store = await openNodeStore({ dataDir: building, clusterId, nodeId, bootstrap: conf });
  try {
    const { index, term } = backup.header;
    await store.log.save({
      snapshot: { meta: { index, term, conf }, data: backup.data },
      hardState: { term, vote: null, commit: index },
    });
    await store.state.importSnapshot(backup.data, index);
    await store.log.releaseSnapshotData(index);
  } finally {
    await store.close();
  }
  await rm(dataDir, { recursive: true, force: true });
  await rename(building, dataDir);
  await fsyncDirectory(dirname(dataDir));
}

async function isAbsentOrEmpty(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}
