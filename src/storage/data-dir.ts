/**
 * A data directory is `<dataDir>/IDENTITY` (who owns it) plus `<dataDir>/db` (the LevelDB).
 *
 * The identity file is what stops a node from starting on another cluster's or another node's
 * data: a copied or mistyped --data path would otherwise join one cluster with another's log.
 * It is written atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves
 * either no identity or a whole one. LevelDB's LOCK file gives the exclusive lock.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { DataDirFormatError, DataDirLockedError, DataDirMismatchError } from './errors.ts';

/** Bumped when the on-disk layout changes incompatibly. */
export const DATA_DIR_FORMAT_VERSION = 1;
const IDENTITY_FORMAT = 'baton-data-dir';
export const IDENTITY_FILE = 'IDENTITY';
export const DATABASE_DIR = 'db';
/** An identity file is a few hundred bytes; anything larger is not ours. */
const MAX_IDENTITY_FILE_BYTES = 64 * 1024;

export interface DataDirIdentity {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly formatVersion: number;
}

export type Database = Level<Uint8Array, Uint8Array>;

/** Reads the identity file; null if there is none (a new directory). */
export async function readIdentity(dataDir: string): Promise<DataDirIdentity | null> {
  const path = join(dataDir, IDENTITY_FILE);
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_IDENTITY_FILE_BYTES) {
      throw new DataDirFormatError(
        dataDir,
        `${path} is ${bytes.length} bytes: not a Baton identity file`,
      );
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return null;
    throw error;
  }
  return parseIdentity(dataDir, path, text);
}

function parseIdentity(dataDir: string, path: string, text: string): DataDirIdentity {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataDirFormatError(dataDir, `${path} is not valid JSON (${String(error)})`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('format' in parsed) ||
    parsed.format !== IDENTITY_FORMAT ||
    !('clusterId' in parsed) ||
    typeof parsed.clusterId !== 'string' ||
    !('nodeId' in parsed) ||
    typeof parsed.nodeId !== 'string' ||
    !('formatVersion' in parsed) ||
    typeof parsed.formatVersion !== 'number'
  ) {
    throw new DataDirFormatError(dataDir, `${path} is not a Baton identity file`);
  }
  if (parsed.formatVersion !== DATA_DIR_FORMAT_VERSION) {
    throw new DataDirFormatError(
      dataDir,
      `it has format version ${parsed.formatVersion}; this Baton reads version ${DATA_DIR_FORMAT_VERSION}`,
    );
  }
  return {
    clusterId: parsed.clusterId,
    nodeId: parsed.nodeId,
    formatVersion: parsed.formatVersion,
  };
}

/** Writes the identity file atomically: temp + fsync + rename + fsync(dir). */
export async function writeIdentity(
  dataDir: string,
  identity: Omit<DataDirIdentity, 'formatVersion'>,
): Promise<void> {
  const path = join(dataDir, IDENTITY_FILE);
  const temporary = `${path}.tmp`;
  const body = `${JSON.stringify(
    { format: IDENTITY_FORMAT, formatVersion: DATA_DIR_FORMAT_VERSION, ...identity },
    null,
    2,
  )}\n`;
  const file = await open(temporary, 'w', 0o644);
  try {
    await file.writeFile(body, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await fsyncDirectory(dataDir);
}

export async function fsyncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Refuses a directory that belongs to another cluster or node. */
export function checkIdentity(
  dataDir: string,
  found: DataDirIdentity,
  expected: { clusterId: string; nodeId: string },
): void {
  if (found.clusterId !== expected.clusterId || found.nodeId !== expected.nodeId) {
    throw new DataDirMismatchError(dataDir, found, expected);
  }
}

/**
 * Creates `dataDir` if needed and opens its LevelDB with binary keys and values. Holding the
 * database open holds its LOCK: a second opener (any process) gets DataDirLockedError.
 */
export async function openDatabase(dataDir: string): Promise<Database> {
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const db: Database = new Level<Uint8Array, Uint8Array>(join(dataDir, DATABASE_DIR), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  try {
    await db.open();
  } catch (error) {
    if (levelCode(error) === 'LEVEL_LOCKED' || levelCode(cause(error)) === 'LEVEL_LOCKED') {
      throw new DataDirLockedError(dataDir, { cause: error });
    }
    throw error;
  }
  return db;
}

/** LevelDB's info log is rewritten at each open; bounds what we read of it. */
const MAX_INFO_LOG_BYTES = 1 << 20;
const MAX_RECOVERY_LINES = 10;

/**
 * Lines in which LevelDB, while opening, reported dropping damaged records of its write-ahead
 * log. Without paranoid checks (classic-level does not expose them) LevelDB skips such records
 * and opens anyway; the only trace is its info log (`db/LOG`, rotated at each open). A torn
 * tail from a crash is not reported there (LevelDB treats it as end of file).
 */
export async function readRecoveryCorruption(dataDir: string): Promise<string[]> {
  let text: string;
  try {
    const file = await open(join(dataDir, DATABASE_DIR, 'LOG'), 'r');
    try {
      const buffer = Buffer.alloc(MAX_INFO_LOG_BYTES);
      const { bytesRead } = await file.read(buffer, 0, MAX_INFO_LOG_BYTES, 0);
      text = buffer.toString('utf8', 0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.includes('Corruption:'))
    .slice(0, MAX_RECOVERY_LINES)
    .map((line) => line.trim());
}

function cause(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

function levelCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function isErrnoCode(error: unknown, code: string): boolean {
  return levelCode(error) === code;
}
