import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import { RaftNode } from '../raft/index.ts';
import { defaultConfig } from '../raft/testing/cluster.ts';
import { BackupError, readBackupFile, restoreBackup, writeBackupFile } from './backup.ts';
import type { Backup } from './backup.ts';
import { crc32c } from './crc32c.ts';
import { DataDirMismatchError } from './errors.ts';
import { openNodeStore } from './node-store.ts';
import { perTestCleanups } from './testing/temp-dir.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

describe('backups', () => {
  const { dataDir } = perTestCleanups();

  /** A backup of a node whose state holds a=1, b=2 at index 3 (term 2). */
  async function backupOfState(): Promise<Backup> {
    const store = await openNodeStore({
      dataDir: await dataDir(),
      clusterId: 'prod',
      nodeId: 'n2',
      bootstrap: { voters: [nodeId('n1'), nodeId('n2'), nodeId('n3')], learners: [] },
    });
    try {
      await store.log.save({
        entries: [1, 2, 3].map((i) => ({
          index: logIndex(i),
          term: term(i === 1 ? 1 : 2),
          kind: 'noop' as const,
          data: new Uint8Array(0),
        })),
        hardState: { term: term(2), vote: null, commit: logIndex(3) },
      });
      const batch = store.state.beginBatch();
      batch.put('a', bytes('1'));
      batch.put('b', bytes('2'));
      await store.state.commit(batch, logIndex(3), { sync: true });
      const data = await store.state.exportSnapshot();
      return {
        header: {
          clusterId: 'prod',
          nodeId: 'n2',
          index: logIndex(3),
          term: term(2),
          voters: ['n1', 'n2', 'n3'],
          learners: [],
          dataBytes: data.length,
          dataCrc32c: crc32c(data),
          createdAt: '2026-12-06T23:00:00.000Z',
        },
        data,
      };
    } finally {
      await store.close();
    }
  }

  it('writes a file that reads back the same, then restores it as a one-voter cluster that elects itself', async () => {
    const backup = await backupOfState();
    const file = join(await dataDir(), 'prod.backup');
    await writeBackupFile(file, backup);
    const read = await readBackupFile(file);
    expect(read.header).toEqual(backup.header);
    expect(Buffer.from(read.data).equals(Buffer.from(backup.data))).toBe(true);

    const target = join(await dataDir(), 'r1');
    await restoreBackup({
      backup: read,
      dataDir: target,
      nodeId: nodeId('r1'),
      clusterId: 'prod-r',
    });
    // A data directory of its own: the new identity, the state, a log that starts after it.
    await expect(
      openNodeStore({
        dataDir: target,
        clusterId: 'prod',
        nodeId: 'r1',
        bootstrap: { voters: [], learners: [] },
      }),
    ).rejects.toBeInstanceOf(DataDirMismatchError);
    const store = await openNodeStore({
      dataDir: target,
      clusterId: 'prod-r',
      nodeId: 'r1',
      bootstrap: { voters: [], learners: [] },
    });
    try {
      expect(store.state.appliedIndex()).toBe(3);
      expect(text(await store.state.reader().get('a'))).toBe('1');
      expect(text(await store.state.reader().get('b'))).toBe('2');
      expect(store.log.firstIndex()).toBe(4);
      expect(store.log.initialState()).toEqual({
        hardState: { term: 2, vote: null, commit: 3 },
        conf: { voters: ['r1'], learners: [] },
      });
      const raft = new RaftNode({
        ...defaultConfig(nodeId('r1'), store.log, 3),
        applied: logIndex(3),
      });
      for (let tick = 0; tick < 100 && raft.status().role !== 'leader'; tick++) {
        raft.tick();
        while (raft.hasReady()) {
          const ready = raft.ready();
          await store.log.save({ entries: ready.entries, hardState: ready.hardState });
          raft.advance(ready);
        }
      }
      expect(raft.status()).toMatchObject({ role: 'leader', lastIndex: 4 });
    } finally {
      await store.close();
    }
  });

  it('refuses a damaged, truncated or foreign file with a clear error', async () => {
    const backup = await backupOfState();
    const dir = await dataDir();
    const file = join(dir, 'b');
    await writeBackupFile(file, backup);
    const good = await readFile(file);

    const flipped = Buffer.from(good);
    flipped[flipped.length - 20]! ^= 0xff;
    await writeFile(join(dir, 'flipped'), flipped);
    await expect(readBackupFile(join(dir, 'flipped'))).rejects.toThrow(/checksum .* damaged/);

    await writeFile(join(dir, 'short'), good.subarray(0, good.length - 5));
    await expect(readBackupFile(join(dir, 'short'))).rejects.toThrow(/header says/);

    await writeFile(join(dir, 'foreign'), 'hello, world');
    await expect(readBackupFile(join(dir, 'foreign'))).rejects.toThrow(/not a Baton backup/);

    await expect(readBackupFile(join(dir, 'absent'))).rejects.toBeInstanceOf(BackupError);

    // Nor is a backup whose header disagrees with its state written in the first place.
    await expect(
      writeBackupFile(join(dir, 'wrong'), {
        ...backup,
        header: { ...backup.header, index: logIndex(9) },
      }),
    ).rejects.toThrow(/as of index 3, the header says 9/);
  });

  it('restores only into a new or empty directory, and leaves nothing behind when it refuses', async () => {
    const backup = await backupOfState();
    const target = await dataDir();
    await mkdir(join(target, 'something'));
    await expect(
      restoreBackup({ backup, dataDir: target, nodeId: nodeId('r1'), clusterId: 'prod-r' }),
    ).rejects.toThrow(/holds data: restore into a new/);
    const empty = await dataDir();
    await restoreBackup({ backup, dataDir: empty, nodeId: nodeId('r1'), clusterId: 'prod-r' });
    await expect(
      restoreBackup({ backup, dataDir: empty, nodeId: nodeId('r1'), clusterId: 'prod-r' }),
    ).rejects.toThrow(/holds data/);
  });
});
