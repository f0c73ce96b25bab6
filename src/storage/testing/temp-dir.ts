import type { ConfState } from '../../raft/types.ts';
import { openDatabase } from '../data-dir.ts';
import type { Database } from '../data-dir.ts';
import { initialLogWrites, LevelLogStore } from '../level-log-store.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; `remove` deletes it and everything in it. */
export async function makeTempDir(
  prefix = 'baton-storage-',
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Clean-ups that run after each test of the calling describe block, newest first: `defer` one,
 * or make a temporary data directory that goes with them.
 */
export function perTestCleanups(): {
  defer: (cleanup: () => Promise<void>) => void;
  dataDir: () => Promise<string>;
} {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    defer: (cleanup) => {
      cleanups.push(cleanup);
    },
    dataDir: async () => {
      const dir = await makeTempDir();
      cleanups.push(dir.remove);
      return dir.path;
    },
  };
}

/**
 * A LevelLogStore alone over its own LevelDB (no identity, no state store): for tests whose
 * snapshots carry arbitrary bytes rather than state snapshots, which openNodeStore would try to
 * install into the state on open.
 */
export async function openBareLogStore(
  dataDir: string,
  bootstrap: ConfState,
): Promise<{ log: LevelLogStore; db: Database; close: () => Promise<void> }> {
  const db = await openDatabase(dataDir);
  const existing = await db.keys({ limit: 1 }).all();
  if (existing.length === 0) await db.batch(initialLogWrites(bootstrap), { sync: true });
  const { store } = await LevelLogStore.open(db, dataDir);
  return {
    log: store,
    db,
    close: async () => {
      await store.flush().catch(() => undefined);
      await db.close();
    },
  };
}
