import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseNotOpenError, writeBatch } from './batch-write.ts';
import { openDatabase } from './data-dir.ts';
import type { Database } from './data-dir.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('writeBatch', () => {
  let dir: string | null = null;
  let db: Database | null = null;
  afterEach(async () => {
    if (db?.status === 'open') await db.close();
    if (dir !== null) await rm(dir, { recursive: true, force: true });
    db = null;
    dir = null;
  });

  it('writes puts and deletes atomically, readable through the public API', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-batch-'));
    db = await openDatabase(dir);
    await writeBatch(
      db,
      [
        { type: 'put', key: bytes('a'), value: bytes('1') },
        { type: 'put', key: bytes('b'), value: bytes('2') },
      ],
      { sync: true },
    );
    await writeBatch(
      db,
      [
        { type: 'del', key: bytes('a') },
        { type: 'put', key: bytes('c'), value: bytes('3') },
      ],
      { sync: false },
    );
    expect(await db.get(bytes('a'))).toBeUndefined();
    expect(new TextDecoder().decode(await db.get(bytes('b')))).toBe('2');
    expect(new TextDecoder().decode(await db.get(bytes('c')))).toBe('3');
  });

  it('refuses to write to a closed database instead of reaching the native binding', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-batch-'));
    db = await openDatabase(dir);
    await db.close();
    await expect(
      writeBatch(db, [{ type: 'put', key: bytes('a'), value: bytes('1') }], { sync: true }),
    ).rejects.toBeInstanceOf(DatabaseNotOpenError);
  });
});
