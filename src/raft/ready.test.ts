import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import { bytes, message, TestCluster } from './testing/cluster.ts';

/** Hosts may hand out a second Ready before the first is advanced (pipelined persistence). */
describe('Ready handoff', () => {
  it('is cheap and empty when nothing changed', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    expect(c.raft('n1').hasReady()).toBe(false);
    expect(c.raft('n2').hasReady()).toBe(false);
  });

  it('hands out each entry once across outstanding Readies and commits after both advance', () => {
    const c = new TestCluster('n1');
    c.campaign('n1');
    c.stabilize();
    const n1 = c.raft('n1');
    const storage = c.get('n1').storage;
    n1.propose(bytes('a'));
    const r1 = n1.ready();
    n1.propose(bytes('b'));
    const r2 = n1.ready();
    expect(r1.entries.map((e) => e.index)).toEqual([2]);
    expect(r2.entries.map((e) => e.index)).toEqual([3]);
    storage.saveSync({ entries: r1.entries, hardState: r1.hardState });
    storage.saveSync({ entries: r2.entries, hardState: r2.hardState });
    n1.advance(r1);
    expect(n1.status().commit).toBe(2);
    n1.advance(r2);
    expect(n1.status().commit).toBe(3);
    const r3 = n1.ready();
    expect(r3.committedEntries.map((e) => e.index)).toEqual([2, 3]);
    n1.advance(r3);
    expect(n1.status().applied).toBe(3);
    expect(n1.hasReady()).toBe(false);
  });

  it('re-hands out entries that a new leader overwrote while an older Ready was in flight', () => {
    const c = new TestCluster('n1 n2 n3');
    const n2 = c.raft('n2');
    const entry = (index: number, t: number) => ({
      index: logIndex(index),
      term: term(t),
      kind: 'normal' as const,
      data: bytes(`${index}@${t}`),
    });
    n2.step(
      message({
        type: 'append',
        from: 'n1',
        to: 'n2',
        term: 1,
        entries: [entry(1, 1), entry(2, 1), entry(3, 1)],
      }),
    );
    const r1 = n2.ready();
    expect(r1.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    // Before r1 is durable, the leader of term 2 replaces entries from index 2 on.
    n2.step(
      message({
        type: 'append',
        from: 'n3',
        to: 'n2',
        term: 2,
        index: 1,
        logTerm: 1,
        entries: [entry(2, 2)],
        commit: 2,
      }),
    );
    const r2 = n2.ready();
    expect(r2.entries.map((e) => `${e.index}@${e.term}`)).toEqual(['2@2']);
    const storage = c.get('n2').storage;
    storage.saveSync({ entries: r1.entries, hardState: r1.hardState });
    storage.saveSync({ entries: r2.entries, hardState: r2.hardState });
    n2.advance(r1);
    n2.advance(r2);
    expect(r2.committedEntries.map((e) => `${e.index}@${e.term}`)).toEqual(['1@1', '2@2']);
    expect(storage.lastIndex()).toBe(2);
    expect(n2.status()).toMatchObject({ lastIndex: 2, commit: 2, leader: nodeId('n3') });
    expect(n2.hasReady()).toBe(false);
  });

  it('resumes after a restart from storage: applied entries are not handed out again', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    for (const text of ['a', 'b']) c.propose('n1', text);
    c.stabilize();
    c.restart('n2');
    c.tick(2);
    expect(c.get('n2').state).toEqual(['a', 'b']);
    expect(c.raft('n2').status()).toMatchObject({ commit: 3, applied: 3, leader: 'n1' });
  });
});
