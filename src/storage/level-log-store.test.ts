import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logIndex, nodeId, term } from '../lib/index.ts';
import { SnapshotTemporarilyUnavailableError } from '../raft/errors.ts';
import { MemoryStorage } from '../raft/memory-storage.ts';
import {
  describeRaftStorageContract,
  STORAGE_CONTRACT_BOOTSTRAP,
} from '../raft/testing/storage-contract.ts';
import type { Entry, EntryKind, RaftLogStore } from '../raft/types.ts';
import { stateKey } from './keys.ts';
import { makeTempDir, openBareLogStore } from './testing/temp-dir.ts';

const ALL = Number.MAX_SAFE_INTEGER;

type NodeStore = Awaited<ReturnType<typeof openBareLogStore>>;

async function openIn(dataDir: string): Promise<NodeStore> {
  return openBareLogStore(dataDir, STORAGE_CONTRACT_BOOTSTRAP);
}

describeRaftStorageContract('LevelLogStore', async () => {
  const dir = await makeTempDir();
  let node = await openIn(dir.path);
  return {
    store: node.log,
    reopen: async () => {
      await node.close();
      node = await openIn(dir.path);
      return node.log;
    },
    close: async () => {
      await node.close();
      await dir.remove();
    },
  };
});

describe('LevelLogStore', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fresh(): Promise<{
    path: string;
    node: () => NodeStore;
    reopen: () => Promise<NodeStore>;
  }> {
    const dir = await makeTempDir();
    let node = await openIn(dir.path);
    cleanups.push(async () => {
      await node.close();
      await dir.remove();
    });
    return {
      path: dir.path,
      node: () => node,
      reopen: async () => {
        await node.close();
        node = await openIn(dir.path);
        return node;
      },
    };
  }

  it('round-trips every entry kind and arbitrary binary data', async () => {
    const { node, reopen } = await fresh();
    const kinds: EntryKind[] = ['normal', 'noop', 'config'];
    const written: Entry[] = Array.from({ length: 30 }, (_, i) => ({
      index: logIndex(i + 1),
      term: term(1 + Math.floor(i / 10)),
      kind: kinds[i % 3]!,
      data:
        i % 3 === 1
          ? new Uint8Array(0)
          : Uint8Array.from({ length: i * 37 }, (_, j) => (j * 131 + i) & 0xff),
    }));
    await node().log.save({ entries: written });
    const reopened = await reopen();
    const read = reopened.log.entries(logIndex(1), logIndex(31), ALL);
    expect(read.map((e) => ({ ...e, data: Array.from(e.data) }))).toEqual(
      written.map((e) => ({ ...e, data: Array.from(e.data) })),
    );
  });

  it('writes carried operations in its next batch, and fails them with it', async () => {
    const { node, reopen } = await fresh();
    const entry = (i: number): Entry => ({
      index: logIndex(i),
      term: term(1),
      kind: 'normal',
      data: Uint8Array.of(i),
    });
    const carried = node().log.carry([
      { type: 'put', key: stateKey('carried'), value: Uint8Array.of(7) },
    ]);
    await node().log.save({ entries: [entry(1)] });
    await carried;
    const reopened = await reopen();
    expect([...((await reopened.db.get(stateKey('carried'))) ?? [])]).toEqual([7]);
    // A failed batch fails what it carried; nothing is left waiting for a write that never comes.
    await reopened.close();
    const stranded = reopened.log.carry([
      { type: 'put', key: stateKey('lost'), value: Uint8Array.of(1) },
    ]);
    const save = reopened.log.save({ entries: [entry(2)] });
    await expect(save).rejects.toThrow();
    await expect(stranded).rejects.toThrow();
    const late = reopened.log.carry([
      { type: 'put', key: stateKey('late'), value: Uint8Array.of(1) },
    ]);
    await expect(reopened.log.writeCarried()).rejects.toThrow();
    await expect(late).rejects.toThrow();
  });

  it('writes saves issued without waiting in call order', async () => {
    const { node, reopen } = await fresh();
    const log = node().log;
    const at = (i: number, t: number): Entry => ({
      index: logIndex(i),
      term: term(t),
      kind: 'normal',
      data: Uint8Array.of(i, t),
    });
    const saves = [
      log.save({ entries: [at(1, 1), at(2, 1), at(3, 1)] }),
      log.save({
        entries: [at(3, 2), at(4, 2)],
        hardState: { term: term(2), vote: nodeId('n2'), commit: logIndex(2) },
      }),
      log.save({ entries: [at(5, 2)] }),
    ];
    await Promise.all(saves);
    expect(log.lastIndex()).toBe(5);
    const reopened = await reopen();
    expect(
      reopened.log.entries(logIndex(1), logIndex(6), ALL).map((e) => [e.index, e.term]),
    ).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 2],
    ]);
    expect(reopened.log.initialState().hardState).toEqual({ term: 2, vote: 'n2', commit: 2 });
  });

  it('answers snapshot() for a log never compacted from the source once it is set', async () => {
    const { node } = await fresh();
    const log = node().log;
    // While the core is being built (no source yet) it reads the bootstrap.
    expect(log.snapshot().meta.index).toBe(0);
    const exported = {
      meta: { index: logIndex(4), term: term(1), conf: STORAGE_CONTRACT_BOOTSTRAP },
      data: Uint8Array.of(7),
    };
    const asked: number[] = [];
    log.setSnapshotSource((minIndex) => {
      asked.push(minIndex);
      return exported;
    });
    expect(log.snapshot()).toBe(exported);
    expect(log.snapshot(logIndex(3))).toBe(exported);
    expect(asked).toEqual([0, 3]);
  });

  it('compacts without data and answers snapshot() from the source the host set', async () => {
    const { node, reopen } = await fresh();
    const log = node().log;
    await log.save({
      entries: Array.from({ length: 6 }, (_, i) => ({
        index: logIndex(i + 1),
        term: term(1),
        kind: 'normal' as const,
        data: Uint8Array.of(i),
      })),
    });
    const meta = { index: logIndex(5), term: term(1), conf: STORAGE_CONTRACT_BOOTSTRAP };
    await log.compact(meta, 1);
    expect(log.firstIndex()).toBe(5);
    expect(log.storedSnapshot()).toEqual({ meta, data: new Uint8Array(0) });
    expect(() => log.snapshot()).toThrow(SnapshotTemporarilyUnavailableError);
    const exported = { meta: { ...meta, index: logIndex(6) }, data: Uint8Array.of(9) };
    const asked: number[] = [];
    log.setSnapshotSource((minIndex) => {
      asked.push(minIndex);
      return exported;
    });
    expect(log.snapshot()).toBe(exported);
    // A node that lost its disk needs everything committed: the source is asked for that much.
    expect(log.snapshot(logIndex(7))).toBe(exported);
    expect(log.snapshot(logIndex(3))).toBe(exported);
    expect(asked).toEqual([5, 7, 5]);
    // A snapshot from the leader is stored with its data and handed out as it is.
    const fromLeader = {
      meta: { ...meta, index: logIndex(8), term: term(2) },
      data: Uint8Array.of(1, 2),
    };
    await log.save({ snapshot: fromLeader });
    expect(log.snapshotIsInState()).toBe(false);
    expect(log.snapshot()).toEqual(fromLeader);
    expect(log.snapshot(logIndex(8))).toEqual(fromLeader);
    // Once this node leads, a node with no base needs everything committed, past it: exported.
    asked.length = 0;
    expect(log.snapshot(logIndex(10))).toBe(exported);
    expect(asked).toEqual([10]);
    const reopened = await reopen();
    expect(reopened.log.storedSnapshot().meta).toEqual(fromLeader.meta);
    expect([...reopened.log.storedSnapshot().data]).toEqual([1, 2]);
    // A compaction past it replaces it (and frees its data).
    await reopened.log.save({
      entries: [{ index: logIndex(9), term: term(2), kind: 'normal', data: Uint8Array.of(9) }],
    });
    await reopened.log.compact({ ...fromLeader.meta, index: logIndex(9) }, 0);
    expect((await reopen()).log.snapshotIsInState()).toBe(true);
  });

  it("drops a received snapshot's data once the state holds it, and exports from then on", async () => {
    const { node, reopen } = await fresh();
    const log = node().log;
    const fromLeader = {
      meta: { index: logIndex(8), term: term(2), conf: STORAGE_CONTRACT_BOOTSTRAP },
      data: Uint8Array.of(1, 2, 3),
    };
    await log.save({ snapshot: fromLeader });
    await log.releaseSnapshotData(logIndex(7));
    expect(log.storedSnapshot().data).toHaveLength(3);
    await log.releaseSnapshotData(logIndex(8));
    expect(log.storedSnapshot()).toEqual({ meta: fromLeader.meta, data: new Uint8Array(0) });
    expect(log.snapshotIsInState()).toBe(true);
    const exported = { meta: fromLeader.meta, data: Uint8Array.of(9) };
    log.setSnapshotSource(() => exported);
    expect(log.snapshot()).toBe(exported);
    const reopened = await reopen();
    expect(reopened.log.snapshotIsInState()).toBe(true);
    expect(reopened.log.storedSnapshot().meta).toEqual(fromLeader.meta);
  });

  it('refuses (by assertion, before writing) entries whose terms go down', async () => {
    const { node, reopen } = await fresh();
    const log = node().log;
    await log.save({
      entries: [{ index: logIndex(1), term: term(3), kind: 'noop', data: new Uint8Array(0) }],
    });
    await expect(
      log.save({
        entries: [{ index: logIndex(2), term: term(2), kind: 'noop', data: new Uint8Array(0) }],
      }),
    ).rejects.toThrow(/term 2 below the previous 3/);
    const reopened = await reopen();
    expect(reopened.log.lastIndex()).toBe(1);
  });

  it('behaves as MemoryStorage over random histories, before and after reopen', async () => {
    type Op =
      | { type: 'append'; back: number; count: number; bump: number }
      | { type: 'hard'; bump: number }
      | { type: 'local'; back: number; retain: number }
      | { type: 'snapshot'; ahead: number; matching: boolean; follow: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        type: fc.constant('append' as const),
        back: fc.nat(4),
        count: fc.integer({ min: 1, max: 6 }),
        bump: fc.nat(2),
      }),
      fc.record({ type: fc.constant('hard' as const), bump: fc.nat(1) }),
      fc.record({ type: fc.constant('local' as const), back: fc.nat(5), retain: fc.nat(4) }),
      fc.record({
        type: fc.constant('snapshot' as const),
        ahead: fc.integer({ min: -3, max: 4 }),
        matching: fc.boolean(),
        follow: fc.nat(3),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const dir = await makeTempDir();
        let node = await openIn(dir.path);
        try {
          const model = new MemoryStorage(STORAGE_CONTRACT_BOOTSTRAP);
          let currentTerm = 1;
          let counter = 0;
          const make = (i: number, t: number): Entry => ({
            index: logIndex(i),
            term: term(t),
            kind: 'normal',
            data: Uint8Array.of(i & 0xff, counter++ & 0xff),
          });
          for (const op of ops) {
            const update = planUpdate(
              op,
              model,
              () => currentTerm,
              (t) => (currentTerm = t),
              make,
            );
            if (update === null) continue;
            if (update.kind === 'local') {
              await model.saveLocalSnapshot(update.snapshot, update.retain);
              await node.log.saveLocalSnapshot(update.snapshot, update.retain);
            } else {
              await model.save(update.update);
              await node.log.save(update.update);
            }
            expectSame(node.log, model);
          }
          await node.close();
          node = await openIn(dir.path);
          expectSame(node.log, model);
        } finally {
          await node.close();
          await dir.remove();
        }
      }),
      { numRuns: 40 },
    );
  });
});

type Planned =
  | { kind: 'save'; update: Parameters<RaftLogStore['save']>[0] }
  | { kind: 'local'; snapshot: ReturnType<RaftLogStore['snapshot']>; retain: number };

function planUpdate(
  op:
    | { type: 'append'; back: number; count: number; bump: number }
    | { type: 'hard'; bump: number }
    | { type: 'local'; back: number; retain: number }
    | { type: 'snapshot'; ahead: number; matching: boolean; follow: number },
  model: MemoryStorage,
  getTerm: () => number,
  setTerm: (t: number) => void,
  make: (i: number, t: number) => Entry,
): Planned | null {
  const last = model.lastIndex();
  const first = model.firstIndex();
  const hard = model.initialState().hardState;
  switch (op.type) {
    case 'append': {
      // Like the core: never rewrite what a snapshot covers (it is committed).
      const start = Math.max(first, model.snapshot().meta.index + 1, last + 1 - op.back);
      const newTerm = getTerm() + op.bump;
      setTerm(newTerm);
      const entries = Array.from({ length: op.count }, (_, k) => make(start + k, newTerm));
      const commit = Math.min(hard.commit, start - 1);
      return {
        kind: 'save',
        update: {
          entries,
          hardState: {
            term: term(Math.max(hard.term, newTerm)),
            vote: null,
            commit: logIndex(commit),
          },
        },
      };
    }
    case 'hard': {
      if (op.bump > 0) setTerm(getTerm() + 1);
      return {
        kind: 'save',
        update: {
          hardState: {
            term: term(Math.max(hard.term, getTerm())),
            vote: nodeId('n2'),
            commit: logIndex(Math.max(hard.commit, last)),
          },
        },
      };
    }
    case 'local': {
      const index = last - op.back;
      if (index <= model.snapshot().meta.index || index < first - 1) return null;
      const meta = {
        index: logIndex(index),
        term: model.term(logIndex(index)),
        conf: STORAGE_CONTRACT_BOOTSTRAP,
      };
      return {
        kind: 'local',
        snapshot: { meta, data: Uint8Array.of(index & 0xff) },
        retain: op.retain,
      };
    }
    case 'snapshot': {
      const index = last + op.ahead;
      if (index <= model.snapshot().meta.index || index < first - 1) return null;
      const matches = op.matching && index <= last;
      const snapTerm = matches
        ? model.term(logIndex(index))
        : Math.max(getTerm(), index <= last ? model.term(logIndex(index)) : 0) + 1;
      setTerm(Math.max(getTerm(), snapTerm));
      const meta = {
        index: logIndex(index),
        term: term(snapTerm),
        conf: { voters: [nodeId('n1')], learners: [] },
      };
      const keepsSuffix = matches;
      const followFrom = keepsSuffix ? Math.min(last, index) + 1 : index + 1;
      const entries = keepsSuffix
        ? []
        : Array.from({ length: op.follow }, (_, k) => make(followFrom + k, snapTerm));
      return {
        kind: 'save',
        update: {
          snapshot: { meta, data: Uint8Array.of(7, index & 0xff) },
          entries,
          hardState: {
            term: term(Math.max(hard.term, snapTerm)),
            vote: null,
            commit: logIndex(index),
          },
        },
      };
    }
  }
}

function expectSame(actual: RaftLogStore, expected: RaftLogStore): void {
  expect(actual.firstIndex()).toBe(expected.firstIndex());
  expect(actual.lastIndex()).toBe(expected.lastIndex());
  expect(actual.term(logIndex(actual.firstIndex() - 1))).toBe(
    expected.term(logIndex(expected.firstIndex() - 1)),
  );
  const simplify = (entries: Entry[]) =>
    entries.map((e) => [e.index, e.term, e.kind, Array.from(e.data)]);
  expect(
    simplify(actual.entries(actual.firstIndex(), logIndex(actual.lastIndex() + 1), ALL)),
  ).toEqual(
    simplify(expected.entries(expected.firstIndex(), logIndex(expected.lastIndex() + 1), ALL)),
  );
  expect(actual.initialState()).toEqual(expected.initialState());
  expect(actual.snapshot().meta).toEqual(expected.snapshot().meta);
  expect(Array.from(actual.snapshot().data)).toEqual(Array.from(expected.snapshot().data));
}
