import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import { entrySizeBytes } from './entry.ts';
import { UncommittedLimitError } from './errors.ts';
import { bytes, message, storageWithLog, TestCluster } from './testing/cluster.ts';

const voters3 = { voters: ['n1', 'n2', 'n3'].map(nodeId), learners: [] };
const voters5 = { voters: ['n1', 'n2', 'n3', 'n4', 'n5'].map(nodeId), learners: [] };

function logOf(c: TestCluster, id: string): string {
  const s = c.get(id).storage;
  const entries = s.entries(s.firstIndex(), logIndex(s.lastIndex() + 1), Number.MAX_SAFE_INTEGER);
  return entries.map((e) => `${e.index}@t${e.term}`).join(' ');
}

describe('log replication', () => {
  it('replicates proposals to every node, commits them and applies them in order', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    for (const text of ['a', 'b', 'c']) c.propose('n1', text);
    c.settle();
    for (const id of ['n1', 'n2', 'n3']) {
      expect(c.get(id).state).toEqual(['a', 'b', 'c']);
      expect(c.raft(id).status().commit).toBe(4);
    }
  });

  it('batches proposals made between two Readies into one append per follower', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.trace = [];
    const n1 = c.raft('n1');
    for (let k = 0; k < 10; k++) n1.propose(bytes(`p${k}`));
    const r = n1.ready();
    expect(r.messages.map((m) => `${m.to} ${m.entries.length}`)).toEqual(['n2 10', 'n3 10']);
    expect(r.entries).toHaveLength(10);
  });

  it('counts the leader itself only for entries advance() reported durable', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n3');
    const n1 = c.raft('n1');
    n1.propose(bytes('x'));
    const r = n1.ready();
    // The follower persists and acks, but the leader has not persisted its own copy yet.
    for (const m of r.messages) c.queue.push(m);
    c.stabilize();
    expect(n1.status().commit).toBe(1);
    c.get('n1').storage.saveSync({ entries: r.entries, hardState: r.hardState });
    n1.advance(r);
    expect(n1.status().commit).toBe(2);
  });

  it('repairs a divergent follower with fast backtracking: one rejection per conflicting term', () => {
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const c = new TestCluster('n1 n2 n3');
    c.nodes.clear();
    c.addNode('n1', storageWithLog(voters3, leaderLog, 6));
    c.addNode('n2', storageWithLog(voters3, [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], 6));
    c.addNode('n3', storageWithLog(voters3, leaderLog, 6));
    c.campaign('n1');
    c.settle();
    const rejections = c.trace.filter(
      (line) => line.startsWith('n2->n1 appendResponse') && line.includes('reject'),
    );
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(logOf(c, 'n2')).toBe(logOf(c, 'n1'));
    expect(c.raft('n2').status().commit).toBe(11);
  });

  it('repairs a follower that is missing entries, backtracking from its log end at once', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n2');
    for (let k = 0; k < 20; k++) c.propose('n1', `v${k}`);
    c.stabilize();
    c.heal();
    c.trace = [];
    c.tick(2);
    const rejections = c.trace.filter((line) => line.includes('reject'));
    expect(rejections.length).toBeLessThanOrEqual(1);
    expect(c.get('n2').state).toHaveLength(20);
  });

  it('pipelines at most maxInflightMessages appends to a follower that keeps up', () => {
    const c = new TestCluster('n1 n2 n3', { maxInflightMessages: 3, maxMessageBytes: 1 });
    c.campaign('n1');
    c.stabilize();
    // Responses from n2 are lost: n1 may keep only 3 appends in flight to it.
    c.dropWhere((m) => m.from === nodeId('n2'));
    c.trace = [];
    for (let k = 0; k < 10; k++) c.propose('n1', `p${k}`);
    c.stabilize();
    const toN2 = c.trace.filter((line) => line.startsWith('n1->n2 append'));
    expect(toN2).toHaveLength(3);
    expect(c.raft('n1').status().progress?.get(nodeId('n2'))?.inflight).toBe(3);
    // n3 keeps up: it got everything, one entry per message (maxMessageBytes 1), and applies
    // it all once the commit notice of the leader's next tick arrives.
    expect(c.raft('n3').status().lastIndex).toBe(11);
    c.settle();
    expect(c.get('n3').state).toHaveLength(10);
    c.heal();
    c.tick(4);
    expect(c.get('n2').state).toHaveLength(10);
  });

  it('falls back from pipelining to probing when the transport reports a peer unreachable', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    expect(c.raft('n1').status().progress?.get(nodeId('n2'))?.state).toBe('replicate');
    c.raft('n1').reportUnreachable(nodeId('n2'));
    expect(c.raft('n1').status().progress?.get(nodeId('n2'))?.state).toBe('probe');
    c.propose('n1', 'p');
    c.settle();
    expect(c.raft('n1').status().progress?.get(nodeId('n2'))?.state).toBe('replicate');
    expect(c.get('n2').state).toEqual(['p']);
  });

  it('keeps appends within maxMessageBytes (one oversized entry still travels alone)', () => {
    const payload = 'x'.repeat(100);
    const oneEntry = entrySizeBytes({
      index: logIndex(1),
      term: term(1),
      kind: 'normal',
      data: bytes(payload),
    });
    const c = new TestCluster('n1 n2 n3', { maxMessageBytes: oneEntry * 3 });
    c.campaign('n1');
    c.stabilize();
    c.isolate('n2');
    for (let k = 0; k < 10; k++) c.propose('n1', payload);
    c.stabilize();
    c.heal();
    const sizes: number[] = [];
    c.dropWhere((m) => {
      if (m.type === 'append' && m.to === nodeId('n2') && m.entries.length > 0)
        sizes.push(m.entries.length);
      return false;
    });
    c.tick(4);
    expect(Math.max(...sizes)).toBe(3);
    expect(c.get('n2').state).toHaveLength(10);
  });

  it('refuses proposals past maxUncommittedBytes while no quorum acknowledges', () => {
    const c = new TestCluster('n1 n2 n3', { maxUncommittedBytes: 1000 });
    c.campaign('n1');
    c.stabilize();
    c.isolate('n2');
    c.isolate('n3');
    const payload = 'y'.repeat(300);
    c.propose('n1', payload);
    c.propose('n1', payload);
    c.propose('n1', payload);
    expect(() => c.propose('n1', payload)).toThrow(UncommittedLimitError);
    c.heal();
    c.tick(4);
    expect(() => c.propose('n1', payload)).not.toThrow();
  });

  it('hands out committed entries in batches of at most maxCommittedBytesPerReady', () => {
    const c = new TestCluster('n1', { maxCommittedBytesPerReady: 1 });
    c.campaign('n1');
    c.stabilize();
    const n1 = c.raft('n1');
    for (let k = 0; k < 5; k++) n1.propose(bytes(`q${k}`));
    const batches: number[] = [];
    const r1 = n1.ready();
    c.get('n1').storage.saveSync({ entries: r1.entries, hardState: r1.hardState });
    n1.advance(r1);
    while (n1.hasReady()) {
      const r = n1.ready();
      c.get('n1').storage.saveSync({ entries: r.entries, hardState: r.hardState });
      if (r.committedEntries.length > 0) batches.push(r.committedEntries.length);
      n1.advance(r);
    }
    expect(batches).toEqual([1, 1, 1, 1, 1]);
  });

  it('caps the commit index in heartbeats at what the follower holds', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.dropWhere((m) => m.type === 'append' && m.to === nodeId('n3'));
    c.propose('n1', 'z');
    c.stabilize();
    c.trace = [];
    c.tick(2);
    expect(c.trace).toContain('n1->n3 heartbeat t1 commit 1');
    expect(c.trace).toContain('n1->n2 heartbeat t1 commit 2');
  });
});

describe('commit rule (Raft §5.4.2, Figure 8)', () => {
  /**
   * Figure 8 (c): n1 leads term 4 with [1@1 2@2]; n5 holds 2@3 from its own short term 3. n1
   * re-replicates 2@2 to n3 (a majority holds it) but its own no-op 3@4 reaches no one. Counting
   * replicas would commit 2@2 — yet n5 can still win term 5 and overwrite it.
   */
  function figure8(commitPreviousTermByCounting: boolean): {
    c: TestCluster;
    committedOld: boolean;
  } {
    const c = new TestCluster('n1 n2 n3 n4 n5', {
      maxMessageBytes: 1,
      testingBugs: { commitPreviousTermByCounting },
    });
    c.nodes.clear();
    c.addNode('n1', storageWithLog(voters5, [1, 2], 3));
    c.addNode('n2', storageWithLog(voters5, [1, 2], 3));
    c.addNode('n3', storageWithLog(voters5, [1], 3));
    c.addNode('n4', storageWithLog(voters5, [1], 3));
    c.addNode('n5', storageWithLog(voters5, [1, 3], 3));
    c.isolate('n5');
    // n1's term-4 entry (index 3) never reaches a node that would accept it.
    c.dropWhere(
      (m) =>
        m.type === 'append' &&
        m.entries.some((e) => e.index === 3) &&
        c.get(m.to).storage.lastIndex() >= 2,
    );
    c.campaign('n1');
    c.stabilize();
    expect(c.raft('n1').status()).toMatchObject({ role: 'leader', term: 4 });
    const committedOld = c.raft('n1').status().commit >= 2;
    return { c, committedOld };
  }

  /** n5 campaigns at once (as on a transfer), so the others' leader lease does not hold it up. */
  function electN5(c: TestCluster): void {
    c.raft('n5').step(message({ type: 'timeoutNow', from: 'n1', to: 'n5', term: 4 }));
    c.stabilize();
  }

  it('a leader does not commit an earlier term entry by counting replicas', () => {
    const { c, committedOld } = figure8(false);
    expect(committedOld).toBe(false);
    // n5 wins term 5 and overwrites index 2: allowed, since 2@2 was never committed.
    c.heal();
    c.isolate('n1');
    electN5(c);
    expect(c.leader()).toBe('n5');
    c.tick(2);
    expect(c.get('n3').storage.term(logIndex(2))).toBe(3);
  });

  it('with commitPreviousTermByCounting the leader commits 2@2, which n5 then overwrites', () => {
    const { c, committedOld } = figure8(true);
    expect(committedOld).toBe(true);
    expect(c.get('n1').state).toEqual(['e1t1', 'e2t2']);
    c.heal();
    c.isolate('n1');
    electN5(c);
    c.tick(2);
    // The "committed" entry is gone from a majority: State Machine Safety is broken.
    expect(c.get('n3').state).toEqual(['e1t1', 'e2t3']);
  });
});
