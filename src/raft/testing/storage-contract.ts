/**
 * The contract every `RaftLogStore` must pass (memory and LevelDB alike), as hono runs one suite
 * against every implementation of an interface. Call it from the implementation's test file:
 *
 *   describeRaftStorageContract('MemoryStorage', async () => { … });
 *
 * `open` must return a fresh, empty store bootstrapped with `STORAGE_CONTRACT_BOOTSTRAP`. When it
 * also returns `reopen`, the suite checks that everything saved survives a close and reopen
 * (`reopen` closes the current handle and opens the same data again).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { INDEX_ZERO, logIndex, nodeId, term, TERM_ZERO } from '../../lib/index.ts';
import { entrySizeBytes } from '../entry.ts';
import { CompactedError, UnavailableError } from '../errors.ts';
import type { ConfState, Entry, RaftLogStore, Snapshot } from '../types.ts';

export const STORAGE_CONTRACT_BOOTSTRAP: ConfState = {
  voters: [nodeId('n1'), nodeId('n2'), nodeId('n3')],
  learners: [],
};

export interface OpenedStore {
  store: RaftLogStore;
  reopen?: () => Promise<RaftLogStore>;
  close: () => Promise<void>;
}

function entry(index: number, entryTerm: number, payload = `e${index}`): Entry {
  return {
    index: logIndex(index),
    term: term(entryTerm),
    kind: 'normal',
    data: new TextEncoder().encode(payload),
  };
}

/** Entries `from..to` inclusive, all of `entryTerm`. */
function run(from: number, to: number, entryTerm: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, entryTerm));
  return out;
}

function snapshotAt(
  index: number,
  snapTerm: number,
  conf: ConfState = STORAGE_CONTRACT_BOOTSTRAP,
): Snapshot {
  return {
    meta: { index: logIndex(index), term: term(snapTerm), conf },
    data: new TextEncoder().encode(`state@${index}`),
  };
}

function simplify(entries: readonly Entry[]): Array<[number, number, string]> {
  return entries.map((e) => [e.index, e.term, new TextDecoder().decode(e.data)]);
}

const ALL = Number.MAX_SAFE_INTEGER;

export function describeRaftStorageContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`RaftLogStore contract: ${name}`, () => {
    let opened: OpenedStore | null = null;
    const fresh = async (): Promise<RaftLogStore> => {
      opened = await open();
      return opened.store;
    };
    afterEach(async () => {
      if (opened) await opened.close();
      opened = null;
    });

    it('starts empty with the bootstrap membership and a zero hard state', async () => {
      const store = await fresh();
      expect(store.firstIndex()).toBe(1);
      expect(store.lastIndex()).toBe(0);
      expect(store.term(INDEX_ZERO)).toBe(0);
      expect(store.entries(logIndex(1), logIndex(1), ALL)).toEqual([]);
      const state = store.initialState();
      expect(state.hardState).toEqual({ term: TERM_ZERO, vote: null, commit: INDEX_ZERO });
      expect(state.conf.voters).toEqual(STORAGE_CONTRACT_BOOTSTRAP.voters);
      expect(state.conf.learners).toEqual([]);
    });

    it('appends entries and reads them back by range and term', async () => {
      const store = await fresh();
      await store.save({ entries: run(1, 5, 1) });
      await store.save({ entries: run(6, 7, 2) });
      expect(store.firstIndex()).toBe(1);
      expect(store.lastIndex()).toBe(7);
      expect(simplify(store.entries(logIndex(1), logIndex(8), ALL))).toEqual(
        simplify([...run(1, 5, 1), ...run(6, 7, 2)]),
      );
      expect(simplify(store.entries(logIndex(3), logIndex(5), ALL))).toEqual(
        simplify(run(3, 4, 1)),
      );
      expect(store.term(logIndex(5))).toBe(1);
      expect(store.term(logIndex(6))).toBe(2);
      expect(store.entries(logIndex(4), logIndex(4), ALL)).toEqual([]);
    });

    it('overwrites a conflicting suffix, deleting every later entry', async () => {
      const store = await fresh();
      await store.save({ entries: run(1, 5, 1) });
      await store.save({ entries: [entry(3, 2, 'x3'), entry(4, 2, 'x4')] });
      expect(store.lastIndex()).toBe(4);
      expect(simplify(store.entries(logIndex(1), logIndex(5), ALL))).toEqual([
        [1, 1, 'e1'],
        [2, 1, 'e2'],
        [3, 2, 'x3'],
        [4, 2, 'x4'],
      ]);
      expect(() => store.term(logIndex(5))).toThrow(UnavailableError);
    });

    it('throws UnavailableError past the last entry and CompactedError before the first', async () => {
      const store = await fresh();
      await store.save({ entries: run(1, 6, 1) });
      expect(() => store.term(logIndex(7))).toThrow(UnavailableError);
      expect(() => store.entries(logIndex(5), logIndex(8), ALL)).toThrow(UnavailableError);
      await store.saveLocalSnapshot(snapshotAt(3, 1), 0);
      expect(store.firstIndex()).toBe(4);
      expect(store.term(logIndex(3))).toBe(1);
      expect(() => store.term(logIndex(2))).toThrow(CompactedError);
      expect(() => store.entries(logIndex(3), logIndex(5), ALL)).toThrow(CompactedError);
      expect(simplify(store.entries(logIndex(4), logIndex(7), ALL))).toEqual(
        simplify(run(4, 6, 1)),
      );
    });

    it('returns at least one entry, then as many as fit in maxBytes', async () => {
      const store = await fresh();
      const written = run(1, 5, 1);
      await store.save({ entries: written });
      const size = (n: number): number =>
        written.slice(0, n).reduce((sum, e) => sum + entrySizeBytes(e), 0);
      const count = (maxBytes: number): number =>
        store.entries(logIndex(1), logIndex(6), maxBytes).length;
      expect(count(0)).toBe(1);
      expect(count(size(1))).toBe(1);
      expect(count(size(2) - 1)).toBe(1);
      expect(count(size(2))).toBe(2);
      expect(count(size(4) + 1)).toBe(4);
      expect(count(ALL)).toBe(5);
    });

    it('keeps the hard state it was given', async () => {
      const store = await fresh();
      await store.save({
        entries: run(1, 2, 3),
        hardState: { term: term(3), vote: nodeId('n2'), commit: logIndex(2) },
      });
      expect(store.initialState().hardState).toEqual({ term: 3, vote: 'n2', commit: 2 });
      await store.save({ hardState: { term: term(4), vote: null, commit: logIndex(2) } });
      expect(store.initialState().hardState).toEqual({ term: 4, vote: null, commit: 2 });
    });

    it('installs a snapshot that matches the log: covered entries go, the suffix stays', async () => {
      const store = await fresh();
      await store.save({ entries: run(1, 5, 1) });
      const conf: ConfState = { voters: [nodeId('n1'), nodeId('n2')], learners: [nodeId('n4')] };
      await store.save({ snapshot: snapshotAt(3, 1, conf) });
      expect(store.firstIndex()).toBe(4);
      expect(store.lastIndex()).toBe(5);
      expect(store.term(logIndex(3))).toBe(1);
      expect(store.snapshot().meta.index).toBe(3);
      expect(new TextDecoder().decode(store.snapshot().data)).toBe('state@3');
      expect(store.initialState().conf).toEqual(conf);
    });

    it('installs a snapshot that conflicts with the log: the whole log goes', async () => {
      const store = await fresh();
      await store.save({ entries: run(1, 5, 1) });
      await store.save({ snapshot: snapshotAt(4, 2) });
      expect(store.firstIndex()).toBe(5);
      expect(store.lastIndex()).toBe(4);
      expect(store.term(logIndex(4))).toBe(2);
      expect(() => store.term(logIndex(5))).toThrow(UnavailableError);
    });

    it('installs a snapshot past the log end together with the entries that follow it', async () => {
      const store = await fresh();
      await store.save({ entries: run(1, 3, 1) });
      await store.save({
        snapshot: snapshotAt(10, 3),
        entries: run(11, 12, 3),
        hardState: { term: term(3), vote: null, commit: logIndex(10) },
      });
      expect(store.firstIndex()).toBe(11);
      expect(store.lastIndex()).toBe(12);
      expect(store.term(logIndex(10))).toBe(3);
      expect(simplify(store.entries(logIndex(11), logIndex(13), ALL))).toEqual(
        simplify(run(11, 12, 3)),
      );
    });

    it('keeps retainEntries entries before a local snapshot', async () => {
      const store = await fresh();
      await store.save({ entries: run(1, 10, 1) });
      await store.saveLocalSnapshot(snapshotAt(8, 1), 3);
      expect(store.snapshot().meta.index).toBe(8);
      expect(store.firstIndex()).toBe(6);
      expect(store.lastIndex()).toBe(10);
      expect(store.term(logIndex(5))).toBe(1);
      expect(simplify(store.entries(logIndex(6), logIndex(11), ALL))).toEqual(
        simplify(run(6, 10, 1)),
      );
      // Retaining more than exists keeps everything still there.
      await store.saveLocalSnapshot(snapshotAt(9, 1), 100);
      expect(store.firstIndex()).toBe(6);
      expect(store.snapshot().meta.index).toBe(9);
    });

    it('survives a reopen: entries, hard state, snapshot and bounds', async () => {
      const first = await open();
      opened = first;
      if (!first.reopen) {
        // In-memory stores have nothing to reopen; the rest of the contract covers them.
        expect(first.reopen).toBeUndefined();
        return;
      }
      await first.store.save({
        entries: run(1, 10, 2),
        hardState: { term: term(2), vote: nodeId('n1'), commit: logIndex(7) },
      });
      const conf: ConfState = {
        voters: [nodeId('n1'), nodeId('n2'), nodeId('n3')],
        learners: [nodeId('n5')],
      };
      await first.store.saveLocalSnapshot(snapshotAt(6, 2, conf), 2);
      const store = await first.reopen();
      expect(store.firstIndex()).toBe(5);
      expect(store.lastIndex()).toBe(10);
      expect(store.term(logIndex(4))).toBe(2);
      expect(simplify(store.entries(logIndex(5), logIndex(11), ALL))).toEqual(
        simplify(run(5, 10, 2)),
      );
      expect(store.initialState().hardState).toEqual({ term: 2, vote: 'n1', commit: 7 });
      expect(store.initialState().conf).toEqual(conf);
      expect(store.snapshot().meta).toEqual({ index: 6, term: 2, conf });
      expect(new TextDecoder().decode(store.snapshot().data)).toBe('state@6');
    });
  });
}
