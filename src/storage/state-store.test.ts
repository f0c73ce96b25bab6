import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { logIndex, nodeId, term } from '../lib/index.ts';
import type { KvRange } from '../lib/index.ts';
import { SnapshotDataCorruptError } from './errors.ts';
import { openNodeStore } from './node-store.ts';
import type { NodeStore } from './node-store.ts';
import { stateSnapshotIndex } from './state-snapshot.ts';
import type { StateBatch } from './state-store.ts';
import { makeTempDir } from './testing/temp-dir.ts';
import { DATABASE_DIR } from './data-dir.ts';

const BOOTSTRAP = { voters: [nodeId('n1')], learners: [] };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);
// Keys whose UTF-16 order differs from their UTF-8 byte order (U+FF5E vs U+1F600), plus prefixes.
const KEYS = ['', 'a', 'a/1', 'a/2', 'ab', 'b', 'é', '\uff5e', '\u{1f600}', 'z'];

/** Log entries 1..count, so that an applied index up to `count` is consistent with the log. */
async function fillLog(node: NodeStore, count: number): Promise<void> {
  const entries = Array.from({ length: count }, (_, i) => ({
    index: logIndex(i + 1),
    term: term(1),
    kind: 'noop' as const,
    data: new Uint8Array(0),
  }));
  await node.log.save({
    entries,
    hardState: { term: term(1), vote: null, commit: logIndex(count) },
  });
}

const utf8Compare = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The model: what a scan of a plain sorted map returns. */
function modelScan(state: ReadonlyMap<string, string>, range: KvRange): Array<[string, string]> {
  const keys = [...state.keys()]
    .filter((k) => utf8Compare(k, range.gte) >= 0 && utf8Compare(k, range.lt) < 0)
    .sort(utf8Compare);
  if (range.reverse) keys.reverse();
  return keys.slice(0, range.limit).map((k) => [k, state.get(k)!]);
}

describe('LevelStateStore', () => {
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
    let node = await openNodeStore({
      dataDir: dir.path,
      clusterId: 'c1',
      nodeId: 'n1',
      bootstrap: BOOTSTRAP,
    });
    cleanups.push(async () => {
      await node.close();
      await dir.remove();
    });
    return {
      path: dir.path,
      node: () => node,
      reopen: async () => {
        await node.close();
        node = await openNodeStore({
          dataDir: dir.path,
          clusterId: 'c1',
          nodeId: 'n1',
          bootstrap: BOOTSTRAP,
        });
        return node;
      },
    };
  }

  it('reads its own writes, then commits them atomically with the applied index', async () => {
    const { node, reopen } = await fresh();
    const state = node().state;
    await fillLog(node(), 7);
    expect(state.appliedIndex()).toBe(0);
    const batch = state.beginBatch();
    batch.put('k1', bytes('v1'));
    batch.put('k2', bytes('v2'));
    expect(text(await batch.get('k1'))).toBe('v1');
    expect(await state.reader().get('k1')).toBeUndefined();
    batch.del('k2');
    expect(await batch.get('k2')).toBeUndefined();
    expect(batch.writeCount).toBe(2);
    await state.commit(batch, logIndex(7), { sync: true });
    expect(state.appliedIndex()).toBe(7);
    expect(() => {
      batch.put('k3', bytes('late'));
    }).toThrow(/already committed/);
    const reopened = await reopen();
    expect(reopened.state.appliedIndex()).toBe(7);
    expect(text(await reopened.state.reader().get('k1'))).toBe('v1');
    expect(await reopened.state.reader().get('k2')).toBeUndefined();
  });

  it("writes a commit made with rideOnCarrier in the log store's next batch, not before", async () => {
    const { node, reopen } = await fresh();
    const { state, log } = node();
    await fillLog(node(), 2);
    const batch = state.beginBatch();
    batch.put('rides', bytes('along'));
    let written = false;
    const committing = state
      .commit(batch, logIndex(2), { sync: false, rideOnCarrier: true })
      .then(() => {
        written = true;
      });
    // Readers see it at once; LevelDB does not have it until a log write carries it.
    expect(text(await state.reader().get('rides'))).toBe('along');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toBe(false);
    expect(state.appliedIndex()).toBe(0);
    await log.save({
      entries: [{ index: logIndex(3), term: term(1), kind: 'noop', data: new Uint8Array(0) }],
    });
    await committing;
    expect(state.appliedIndex()).toBe(2);
    const reopened = await reopen();
    expect(reopened.state.appliedIndex()).toBe(2);
    expect(text(await reopened.state.reader().get('rides'))).toBe('along');
    expect(reopened.log.lastIndex()).toBe(3);
  });

  it('writes waiting rideOnCarrier commits on writePending, and before an export, a barrier or an import', async () => {
    const { node } = await fresh();
    const { state } = node();
    await fillLog(node(), 4);
    const commit = (key: string, index: number): Promise<void> => {
      const batch = state.beginBatch();
      batch.put(key, bytes(key));
      return state.commit(batch, logIndex(index), { sync: false, rideOnCarrier: true });
    };
    const first = commit('a', 1);
    state.writePending();
    await first;
    expect(state.appliedIndex()).toBe(1);
    // No writePending: the export itself gets the waiting commit written, and includes it.
    void commit('b', 2);
    const exported = await state.exportSnapshot();
    expect(stateSnapshotIndex(exported)).toBe(2);
    void commit('c', 3);
    await state.makeDurable();
    expect(state.appliedIndex()).toBe(3);
    // A commit called while an import waits is not carried (a log write could land it before
    // the import, which would then wipe it): its own write follows the import, no log write needed.
    const asOf3 = await state.exportSnapshot();
    const importing = state.importSnapshot(asOf3, logIndex(3));
    const after = commit('d', 4);
    await Promise.race([
      Promise.all([importing, after]),
      new Promise((_, reject) => {
        setTimeout(() => {
          reject(new Error('the commit waited for a log write'));
        }, 2000);
      }),
    ]);
    expect(state.appliedIndex()).toBe(4);
    for (const key of ['a', 'b', 'c', 'd']) expect(text(await state.reader().get(key))).toBe(key);
  });

  it('lets a new batch see commits still being written', async () => {
    const { node } = await fresh();
    const state = node().state;
    const first = state.beginBatch();
    first.put('x', bytes('1'));
    first.put('y', bytes('1'));
    const writing = state.commit(first, logIndex(1), { sync: true });
    const second = state.beginBatch();
    expect(text(await second.get('x'))).toBe('1');
    second.del('y');
    second.put('z', bytes('2'));
    expect((await second.scan({ gte: '', lt: '\u{10ffff}', limit: 10 })).map(([k]) => k)).toEqual([
      'x',
      'z',
    ]);
    await Promise.all([writing, state.commit(second, logIndex(2), { sync: false })]);
    expect(state.appliedIndex()).toBe(2);
    expect(
      (await state.reader().scan({ gte: '', lt: '\u{10ffff}', limit: 10 })).map(([k, v]) => [
        k,
        text(v),
      ]),
    ).toEqual([
      ['x', '1'],
      ['z', '2'],
    ]);
  });

  it('scans the overlay merged with LevelDB as a sorted map would, in both directions', async () => {
    const { node } = await fresh();
    const state = node().state;
    type Op =
      | { type: 'put'; key: string; value: string }
      | { type: 'del'; key: string }
      | { type: 'commit'; wait: boolean }
      | { type: 'scan'; gte: string; lt: string; limit: number; reverse: boolean }
      | { type: 'get'; key: string };
    const key = fc.constantFrom(...KEYS);
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          type: fc.constant('put' as const),
          key,
          value: fc.string({ maxLength: 3 }),
        }),
      },
      { weight: 2, arbitrary: fc.record({ type: fc.constant('del' as const), key }) },
      {
        weight: 1,
        arbitrary: fc.record({ type: fc.constant('commit' as const), wait: fc.boolean() }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          type: fc.constant('scan' as const),
          gte: key,
          lt: fc.constantFrom(...KEYS, '\u{10ffff}'),
          limit: fc.nat(6),
          reverse: fc.boolean(),
        }),
      },
      { weight: 2, arbitrary: fc.record({ type: fc.constant('get' as const), key }) },
    );
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        // Start each run from an empty keyspace, itself through a batch.
        const reset = state.beginBatch();
        for (const k of KEYS) reset.del(k);
        await state.commit(reset, logIndex(++applied), { sync: false });
        const committed = new Map<string, string>();
        let overlay = new Map<string, string | null>();
        let batch: StateBatch = state.beginBatch();
        const pending: Array<Promise<void>> = [];
        const view = (): Map<string, string> => {
          const merged = new Map(committed);
          for (const [k, v] of overlay) {
            if (v === null) merged.delete(k);
            else merged.set(k, v);
          }
          return merged;
        };
        for (const o of ops) {
          switch (o.type) {
            case 'put':
              batch.put(o.key, bytes(o.value));
              overlay.set(o.key, o.value);
              break;
            case 'del':
              batch.del(o.key);
              overlay.set(o.key, null);
              break;
            case 'commit': {
              const done = state.commit(batch, logIndex(++applied), { sync: false });
              if (o.wait) await done;
              else pending.push(done);
              for (const [k, v] of overlay) {
                if (v === null) committed.delete(k);
                else committed.set(k, v);
              }
              overlay = new Map();
              batch = state.beginBatch();
              break;
            }
            case 'scan': {
              const range = { gte: o.gte, lt: o.lt, limit: o.limit, reverse: o.reverse };
              const got = (await batch.scan(range)).map(([k, v]) => [k, text(v)]);
              expect(got).toEqual(modelScan(view(), range));
              const gotCommitted = (await state.reader().scan(range)).map(([k, v]) => [k, text(v)]);
              expect(gotCommitted).toEqual(modelScan(committed, range));
              break;
            }
            case 'get':
              expect(text(await batch.get(o.key))).toBe(view().get(o.key));
              break;
          }
        }
        await Promise.all(pending);
        const finish = state.beginBatch();
        await state.commit(finish, logIndex(++applied), { sync: false });
        expect(
          (await state.reader().scan({ gte: '', lt: '\u{10ffff}', limit: 100 })).map(([k, v]) => [
            k,
            text(v),
          ]),
        ).toEqual(modelScan(committed, { gte: '', lt: '\u{10ffff}', limit: 100 }));
      }),
      { numRuns: 150 },
    );
  });

  it("an import leaves exactly the snapshot's keyspace, whatever keys were there before", async () => {
    const keySet = fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: KEYS.length });
    await fc.assert(
      fc.asyncProperty(keySet, keySet, async (before, wanted) => {
        const source = await fresh();
        await fillLog(source.node(), 9);
        const batch = source.node().state.beginBatch();
        for (const key of wanted) batch.put(key, bytes(`new ${key}`));
        await source.node().state.commit(batch, logIndex(9), { sync: true });
        const data = await source.node().state.exportSnapshot();

        const target = await fresh();
        await fillLog(target.node(), 9);
        const old = target.node().state.beginBatch();
        for (const key of before) old.put(key, bytes(`old ${key}`));
        await target.node().state.commit(old, logIndex(2), { sync: true });
        await target.node().state.importSnapshot(data, logIndex(9));
        const everything = { gte: '', lt: '\u{10ffff}', limit: 100 };
        const model = new Map(wanted.map((key) => [key, `new ${key}`]));
        expect(
          (await target.node().state.reader().scan(everything)).map(([k, v]) => [k, text(v)]),
        ).toEqual(modelScan(model, everything));
      }),
      { numRuns: 25 },
    );
  });

  it('exports a snapshot and imports it elsewhere, replacing the whole keyspace', async () => {
    const source = await fresh();
    await fillLog(source.node(), 42);
    const batch = source.node().state.beginBatch();
    for (let i = 0; i < 600; i++)
      batch.put(`key/${String(i).padStart(4, '0')}`, bytes(`value ${i}`.repeat(1 + (i % 5))));
    batch.put('\u{1f600}', new Uint8Array(0));
    await source.node().state.commit(batch, logIndex(42), { sync: true });
    const data = await source.node().state.exportSnapshot();
    expect(stateSnapshotIndex(data)).toBe(42);

    const target = await fresh();
    const old = target.node().state.beginBatch();
    old.put('stale', bytes('must disappear'));
    old.put('key/0001', bytes('overwritten'));
    await target.node().state.commit(old, logIndex(3), { sync: true });
    // As the replica does: the log takes the snapshot first, then the state.
    await target.node().log.save({
      snapshot: { meta: { index: logIndex(42), term: term(1), conf: BOOTSTRAP }, data },
    });
    await target.node().state.importSnapshot(data, logIndex(42));
    expect(target.node().state.appliedIndex()).toBe(42);
    const reopened = await target.reopen();
    expect(reopened.state.appliedIndex()).toBe(42);
    const everything = { gte: '', lt: '\u{10ffff}', limit: 10_000 };
    const want = (await source.node().state.reader().scan(everything)).map(([k, v]) => [
      k,
      text(v),
    ]);
    expect(want).toHaveLength(601);
    expect((await reopened.state.reader().scan(everything)).map(([k, v]) => [k, text(v)])).toEqual(
      want,
    );
    // Exporting the imported state gives the same bytes.
    expect(Buffer.from(await reopened.state.exportSnapshot()).equals(Buffer.from(data))).toBe(true);
  });

  it('rejects a damaged snapshot and changes nothing', async () => {
    const source = await fresh();
    const batch = source.node().state.beginBatch();
    batch.put('a', bytes('1'));
    await source.node().state.commit(batch, logIndex(5), { sync: true });
    const data = await source.node().state.exportSnapshot();

    const target = await fresh();
    const own = target.node().state.beginBatch();
    own.put('mine', bytes('kept'));
    await target.node().state.commit(own, logIndex(2), { sync: true });
    for (const position of [0, 6, 15, data.length - 14, data.length - 1]) {
      const damaged = Uint8Array.from(data);
      damaged[position]! ^= 0x10;
      expect(() => target.node().state.importSnapshot(damaged, logIndex(5))).toThrow(
        SnapshotDataCorruptError,
      );
    }
    expect(() =>
      target.node().state.importSnapshot(data.subarray(0, data.length - 3), logIndex(5)),
    ).toThrow(SnapshotDataCorruptError);
    expect(target.node().state.appliedIndex()).toBe(2);
    expect(text(await target.node().state.reader().get('mine'))).toBe('kept');
    expect(await target.node().state.reader().get('a')).toBeUndefined();
  });

  it('exports the state as of its applied index even while later commits are queued', async () => {
    const { node } = await fresh();
    const state = node().state;
    const first = state.beginBatch();
    first.put('n', bytes('1'));
    await state.commit(first, logIndex(1), { sync: true });
    const exporting = state.exportSnapshot();
    const second = state.beginBatch();
    second.put('n', bytes('2'));
    const committing = state.commit(second, logIndex(2), { sync: true });
    const [data] = await Promise.all([exporting, committing]);
    // Whichever state the export caught, its index and contents agree.
    const index = stateSnapshotIndex(data);
    const dir = await makeTempDir();
    cleanups.push(dir.remove);
    const other = await openNodeStore({
      dataDir: dir.path,
      clusterId: 'c1',
      nodeId: 'n2',
      bootstrap: BOOTSTRAP,
    });
    await other.state.importSnapshot(data, index);
    expect(text(await other.state.reader().get('n'))).toBe(String(index));
    await other.close();
  });

  it('makeDurable waits for the commits before it and flushes them out of the write-ahead log into a table file', async () => {
    const store = await fresh();
    const node = store.node();
    await fillLog(node, 3);
    const tables = async (): Promise<string[]> =>
      (await readdir(join(store.path, DATABASE_DIR))).filter((name) => name.endsWith('.ldb'));
    const before = await tables();
    for (let i = 1; i <= 3; i++) {
      const batch = node.state.beginBatch();
      batch.put(`k${i}`, bytes(String(i)));
      void node.state.commit(batch, logIndex(i), { sync: false });
    }
    await node.state.makeDurable();
    // Resolved after the unsynced commits were written...
    expect(node.state.appliedIndex()).toBe(3);
    // ...and after LevelDB moved them from its (unsynced) log into a new, fsynced table file.
    expect((await tables()).length).toBeGreaterThan(before.length);
    const reopened = await store.reopen();
    expect(reopened.state.appliedIndex()).toBe(3);
    expect(text(await reopened.state.reader().get('k2'))).toBe('2');
  });
});
