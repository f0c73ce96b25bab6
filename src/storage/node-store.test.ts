import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import type { Entry } from '../raft/types.ts';
import { DATA_DIR_FORMAT_VERSION, IDENTITY_FILE } from './data-dir.ts';
import {
  DataDirFormatError,
  DataDirLockedError,
  DataDirMismatchError,
  StorageCorruptError,
} from './errors.ts';
import { openNodeStore } from './node-store.ts';
import type { OpenNodeStoreOptions } from './node-store.ts';
import { perTestCleanups } from './testing/temp-dir.ts';

/** Entries 1..count of term 1, empty no-ops. */
const noopEntries = (count: number): Entry[] =>
  Array.from({ length: count }, (_, i) => ({
    index: logIndex(i + 1),
    term: term(1),
    kind: 'noop' as const,
    data: new Uint8Array(0),
  }));

const BOOTSTRAP = { voters: [nodeId('n1'), nodeId('n2'), nodeId('n3')], learners: [] };

describe('openNodeStore', () => {
  const { dataDir } = perTestCleanups();

  const options = (
    path: string,
    overrides: Partial<OpenNodeStoreOptions> = {},
  ): OpenNodeStoreOptions => ({
    dataDir: path,
    clusterId: 'cluster-a',
    nodeId: 'n1',
    bootstrap: BOOTSTRAP,
    ...overrides,
  });

  it('keeps a recorded removal across reopens (and has none until one is recorded)', async () => {
    const path = await dataDir();
    const first = await openNodeStore(options(path));
    expect(first.openReport.removed).toBeNull();
    await first.markRemoved('{"learnedFrom":"own-log","index":42}');
    await first.close();
    const second = await openNodeStore(options(path));
    expect(second.openReport.removed).toBe('{"learnedFrom":"own-log","index":42}');
    await second.close();
  });

  it('initializes a new directory with the bootstrap membership and keeps it on reopen', async () => {
    const path = await dataDir();
    const first = await openNodeStore(options(path));
    expect(first.openReport.created).toBe(true);
    expect(first.log.initialState().conf).toEqual(BOOTSTRAP);
    expect(first.state.appliedIndex()).toBe(0);
    await first.close();
    const identity = JSON.parse(await readFile(join(path, IDENTITY_FILE), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(identity).toMatchObject({
      clusterId: 'cluster-a',
      nodeId: 'n1',
      formatVersion: DATA_DIR_FORMAT_VERSION,
    });
    // The bootstrap of a later open is ignored: the directory already has its membership.
    const second = await openNodeStore(
      options(path, { bootstrap: { voters: [nodeId('n9')], learners: [] } }),
    );
    expect(second.openReport.created).toBe(false);
    expect(second.log.initialState().conf).toEqual(BOOTSTRAP);
    await second.close();
  });

  it('starts a joining node with empty membership', async () => {
    const path = await dataDir();
    const node = await openNodeStore(
      options(path, { nodeId: 'n4', bootstrap: { voters: [], learners: [] } }),
    );
    expect(node.log.initialState().conf).toEqual({ voters: [], learners: [] });
    await node.close();
  });

  it("refuses another cluster's directory, naming both ids and the path", async () => {
    const path = await dataDir();
    await (await openNodeStore(options(path))).close();
    const error: unknown = await openNodeStore(options(path, { clusterId: 'cluster-b' })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataDirMismatchError);
    const message = (error as DataDirMismatchError).message;
    expect((error as DataDirMismatchError).code).toBe('FAILED_PRECONDITION');
    expect(message).toContain('cluster-a');
    expect(message).toContain('cluster-b');
    expect(message).toContain(path);
    // The refused open released the lock: the right owner still opens it.
    await (await openNodeStore(options(path))).close();
  });

  it("refuses another node's directory", async () => {
    const path = await dataDir();
    await (await openNodeStore(options(path))).close();
    await expect(openNodeStore(options(path, { nodeId: 'n2' }))).rejects.toThrow(
      DataDirMismatchError,
    );
  });

  it('refuses when the identity file was swapped for another cluster (the database keeps a copy)', async () => {
    const path = await dataDir();
    await (await openNodeStore(options(path))).close();
    const file = join(path, IDENTITY_FILE);
    const identity = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...identity, clusterId: 'cluster-b' }));
    await expect(openNodeStore(options(path, { clusterId: 'cluster-b' }))).rejects.toThrow(
      DataDirMismatchError,
    );
  });

  it('refuses a directory whose identity file is missing but whose database has data', async () => {
    const path = await dataDir();
    await (await openNodeStore(options(path))).close();
    await rm(join(path, IDENTITY_FILE));
    await expect(openNodeStore(options(path))).rejects.toThrow(DataDirFormatError);
  });

  it('refuses an unknown format version', async () => {
    const path = await dataDir();
    await (await openNodeStore(options(path))).close();
    const file = join(path, IDENTITY_FILE);
    const identity = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...identity, formatVersion: 99 }));
    await expect(openNodeStore(options(path))).rejects.toThrow(/format version 99/);
  });

  it('refuses a second opener of the same directory while the first holds it', async () => {
    const path = await dataDir();
    const first = await openNodeStore(options(path));
    const error: unknown = await openNodeStore(options(path)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as DataDirLockedError).message).toContain(path);
    await first.close();
    await (await openNodeStore(options(path))).close();
  });

  it('re-installs the stored snapshot into the state when a crash left the state behind it', async () => {
    const source = await openNodeStore(options(await dataDir(), { nodeId: 'n2' }));
    await source.log.save({ entries: noopEntries(9) });
    const batch = source.state.beginBatch();
    batch.put('greeting', new TextEncoder().encode('hello'));
    await source.state.commit(batch, logIndex(9), { sync: true });
    const data = await source.state.exportSnapshot();
    await source.close();

    const path = await dataDir();
    const node = await openNodeStore(options(path));
    // The log took the leader's snapshot, then the process died before the state did.
    await node.log.save({
      snapshot: { meta: { index: logIndex(9), term: term(1), conf: BOOTSTRAP }, data },
    });
    await node.close();
    const reopened = await openNodeStore(options(path));
    expect(reopened.openReport.restoredStateFromSnapshot).toBe(9);
    expect(reopened.state.appliedIndex()).toBe(9);
    expect(new TextDecoder().decode(await reopened.state.reader().get('greeting'))).toBe('hello');
    await reopened.close();
  });

  it('refuses to open when the state is behind a compaction that promised it durable', async () => {
    const path = await dataDir();
    const node = await openNodeStore(options(path));
    await node.log.save({ entries: noopEntries(9) });
    // A compaction at 9 with the state still at 0: what a lost state write would leave behind.
    await node.log.compact({ index: logIndex(9), term: term(1), conf: BOOTSTRAP }, 0);
    expect(node.log.snapshotIsInState()).toBe(true);
    await node.close();
    const error: unknown = await openNodeStore(options(path)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageCorruptError);
    expect((error as Error).message).toContain('compacted up to 9');
    expect((error as Error).message).toContain(path);
  });
});
