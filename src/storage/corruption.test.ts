/**
 * Corruption on real files: each test writes a data directory through the store, closes it,
 * damages one record with LevelDB opened directly (as a disk error or a torn write would), and
 * reopens it.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import type { Entry } from '../raft/types.ts';
import { openDatabase } from './data-dir.ts';
import { StorageCorruptError } from './errors.ts';
import { HARD_STATE_KEY, logKey, SNAPSHOT_DATA_KEY } from './keys.ts';
import { openNodeStore } from './node-store.ts';
import type { StorageLogger } from './node-store.ts';
import { makeTempDir } from './testing/temp-dir.ts';

const BOOTSTRAP = { voters: [nodeId('n1')], learners: [] };

function entryAt(index: number, entryTerm = 1): Entry {
  return {
    index: logIndex(index),
    term: term(entryTerm),
    kind: 'normal',
    data: new TextEncoder().encode(`payload of entry ${index}`),
  };
}

describe('storage corruption on disk', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A directory holding entries 1..10 (term 1) with commit `commit`, closed. */
  async function writtenDir(commit: number): Promise<string> {
    const dir = await makeTempDir();
    cleanups.push(dir.remove);
    const node = await openNodeStore({
      dataDir: dir.path,
      clusterId: 'c1',
      nodeId: 'n1',
      bootstrap: BOOTSTRAP,
    });
    await node.log.save({
      entries: Array.from({ length: 10 }, (_, i) => entryAt(i + 1)),
      hardState: { term: term(1), vote: nodeId('n1'), commit: logIndex(commit) },
    });
    await node.close();
    return dir.path;
  }

  async function rewrite(
    dataDir: string,
    key: Uint8Array,
    change: (value: Uint8Array) => Uint8Array,
  ): Promise<void> {
    const db = await openDatabase(dataDir);
    try {
      const value = await db.get(key);
      expect(value).toBeDefined();
      await db.put(key, change(Uint8Array.from(value)), { sync: true });
    } finally {
      await db.close();
    }
  }

  const open = (dataDir: string, logger?: StorageLogger) =>
    openNodeStore({
      dataDir,
      clusterId: 'c1',
      nodeId: 'n1',
      bootstrap: BOOTSTRAP,
      ...(logger ? { logger } : {}),
    });

  async function expectCorrupt(dataDir: string, what: string): Promise<StorageCorruptError> {
    const error: unknown = await open(dataDir).then(
      async (node) => {
        await node.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageCorruptError);
    const corrupt = error as StorageCorruptError;
    expect(corrupt.code).toBe('DATA_LOSS');
    expect(corrupt.what).toBe(what);
    expect(corrupt.message).toContain(what);
    expect(corrupt.message).toContain(dataDir);
    expect(corrupt.message).toMatch(/wipe the\s+data directory/);
    return corrupt;
  }

  it('stops on a flipped byte inside a middle log entry, naming the key and the directory', async () => {
    const dataDir = await writtenDir(3);
    await rewrite(dataDir, logKey(logIndex(5)), (value) => {
      value[value.length - 3]! ^= 0x40;
      return value;
    });
    await expectCorrupt(dataDir, 'log entry 5');
    // Nothing was "repaired": it still refuses.
    await expectCorrupt(dataDir, 'log entry 5');
  });

  it('stops on a short (torn-looking) entry that is followed by others', async () => {
    const dataDir = await writtenDir(3);
    await rewrite(dataDir, logKey(logIndex(7)), (value) => value.subarray(0, value.length - 5));
    const error = await expectCorrupt(dataDir, 'log entry 7');
    expect(error.message).toContain('not a torn final write');
  });

  it('stops on an entry whose checksum is right but whose index is not its key', async () => {
    const dataDir = await writtenDir(3);
    const db = await openDatabase(dataDir);
    const entry4 = await db.get(logKey(logIndex(4)));
    await db.put(logKey(logIndex(5)), entry4, { sync: true });
    await db.close();
    const error = await expectCorrupt(dataDir, 'log entry 5');
    expect(error.message).toContain('holds entry 4');
  });

  it('truncates a torn final entry, reports it, and opens cleanly afterwards', async () => {
    const dataDir = await writtenDir(5);
    await rewrite(dataDir, logKey(logIndex(10)), (value) => value.subarray(0, value.length - 7));
    const warnings: string[] = [];
    const logger: StorageLogger = {
      info: () => undefined,
      warn: (_object, message) => warnings.push(message),
    };
    const node = await open(dataDir, logger);
    expect(node.openReport.log.truncatedTornEntry?.index).toBe(10);
    expect(node.openReport.warnings.join('\n')).toContain('torn final log entry 10');
    expect(warnings.join('\n')).toContain('torn final log entry 10');
    expect(node.log.lastIndex()).toBe(9);
    expect(
      new TextDecoder().decode(node.log.entries(logIndex(9), logIndex(10), 1000)[0]!.data),
    ).toBe('payload of entry 9');
    // The log continues from the truncation point.
    await node.log.save({ entries: [entryAt(10, 2)] });
    await node.close();
    const again = await open(dataDir);
    expect(again.openReport.log.truncatedTornEntry).toBeNull();
    expect(again.openReport.warnings).toEqual([]);
    expect(again.log.lastIndex()).toBe(10);
    expect(again.log.term(logIndex(10))).toBe(2);
    await again.close();
  });

  it('truncates a garbled final entry (checksum mismatch, full length)', async () => {
    const dataDir = await writtenDir(5);
    await rewrite(dataDir, logKey(logIndex(10)), (value) => {
      value[12]! ^= 0xff;
      return value;
    });
    const node = await open(dataDir);
    expect(node.openReport.log.truncatedTornEntry?.detail).toContain('checksum mismatch');
    expect(node.log.lastIndex()).toBe(9);
    await node.close();
  });

  it('refuses to truncate a damaged final entry that is already committed', async () => {
    const dataDir = await writtenDir(10);
    await rewrite(dataDir, logKey(logIndex(10)), (value) => value.subarray(0, 5));
    const error = await expectCorrupt(dataDir, 'log entry 10');
    expect(error.message).toContain('committed');
  });

  it('stops on a damaged hard state', async () => {
    const dataDir = await writtenDir(3);
    await rewrite(dataDir, HARD_STATE_KEY, (value) => {
      value[9]! ^= 0x01;
      return value;
    });
    await expectCorrupt(dataDir, 'hard state');
  });

  it('stops on damaged snapshot data', async () => {
    const dataDir = await writtenDir(3);
    await rewrite(dataDir, SNAPSHOT_DATA_KEY, () => Uint8Array.of(1, 2, 3));
    await expectCorrupt(dataDir, 'snapshot data');
  });

  it("stops when a damaged block of LevelDB's own write-ahead log made it drop entries", async () => {
    const dir = await makeTempDir();
    cleanups.push(dir.remove);
    const node = await open(dir.path);
    // ~125 bytes a record, 400 records: the write-ahead log spans several of LevelDB's 32 KiB blocks.
    for (let i = 1; i <= 400; i++) {
      const entry = { ...entryAt(i), data: new Uint8Array(100).fill(i & 0xff) };
      await node.log.save({
        entries: [entry],
        hardState: { term: term(1), vote: null, commit: logIndex(i - 1) },
      });
    }
    await node.close();
    // The entries are still in LevelDB's write-ahead log file (*.log): damage its first block.
    // LevelDB's recovery drops the rest of that block without an error; the gap it leaves is caught.
    const databaseDir = join(dir.path, 'db');
    const wal = (await readdir(databaseDir)).find((name) => name.endsWith('.log'));
    expect(wal).toBeDefined();
    const bytes = await readFile(join(databaseDir, wal!));
    expect(bytes.length).toBeGreaterThan(2 * 32 * 1024);
    bytes[10_000]! ^= 0x55;
    await writeFile(join(databaseDir, wal!), bytes);
    const error: unknown = await open(dir.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageCorruptError);
    expect((error as StorageCorruptError).what).toMatch(/^log entry \d+$/);
    expect((error as StorageCorruptError).message).toContain('missing');
    expect((error as StorageCorruptError).message).toContain(
      'LevelDB reported dropping damaged records',
    );
    expect((error as StorageCorruptError).message).toContain(dir.path);
    // LevelDB rewrote its files without the dropped records, but the gap stays: still refused.
    await expect(open(dir.path)).rejects.toThrow(/log entry \d+/);
  });

  it('opens with a warning when LevelDB dropped only a damaged, uncommitted tail of its write-ahead log', async () => {
    const dir = await makeTempDir();
    cleanups.push(dir.remove);
    const node = await open(dir.path);
    for (let i = 1; i <= 50; i++) {
      await node.log.save({
        entries: [entryAt(i)],
        hardState: { term: term(1), vote: null, commit: logIndex(i - 1) },
      });
    }
    await node.close();
    const databaseDir = join(dir.path, 'db');
    const wal = (await readdir(databaseDir)).find((name) => name.endsWith('.log'));
    const bytes = await readFile(join(databaseDir, wal!));
    bytes[bytes.length - 20]! ^= 0x55;
    await writeFile(join(databaseDir, wal!), bytes);
    const reopened = await open(dir.path);
    expect(reopened.log.lastIndex()).toBe(49);
    expect(reopened.openReport.warnings.join('\n')).toContain(
      'LevelDB dropped damaged write-ahead-log records',
    );
    await reopened.close();
  });
});
