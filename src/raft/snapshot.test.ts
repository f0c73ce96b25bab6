import { describe, expect, it } from 'vitest';
import { logIndex, nodeId } from '../lib/index.ts';
import { SnapshotTemporarilyUnavailableError } from './errors.ts';
import { MemoryStorage } from './memory-storage.ts';
import { RaftNode } from './node.ts';
import { defaultConfig, message, storageWithLog, TestCluster } from './testing/cluster.ts';

function laggingFollower(): TestCluster {
  const c = new TestCluster('n1 n2 n3');
  c.campaign('n1');
  c.stabilize();
  c.isolate('n3');
  for (let k = 0; k < 10; k++) c.propose('n1', `v${k}`);
  c.stabilize();
  c.compact('n1', 2);
  return c;
}

describe('snapshots', () => {
  it('sends a snapshot to a follower whose next entry was compacted, then resumes appends', () => {
    const c = laggingFollower();
    expect(c.get('n1').storage.firstIndex()).toBe(10);
    c.heal();
    c.trace = [];
    c.tick(2);
    expect(c.trace).toContain('n1->n3 snapshot t1 snapshot 11@t1');
    expect(c.get('n3').state).toHaveLength(10);
    expect(c.get('n3').storage.firstIndex()).toBe(12);
    expect(c.raft('n1').status().progress?.get(nodeId('n3'))?.state).toBe('replicate');
    c.propose('n1', 'after');
    c.settle();
    expect(c.get('n3').state.at(-1)).toBe('after');
  });

  it('starts a node that joins knowing no membership from a snapshot, never from index 1', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    for (let k = 0; k < 3; k++) c.propose('n1', `v${k}`);
    c.stabilize();
    // As `--join` starts it: no membership, no snapshot, an empty log.
    c.addNode('n4', new MemoryStorage({ voters: [], learners: [] }));
    c.trace = [];
    c.raft('n1').proposeConfChange({ type: 'addLearner', node: nodeId('n4') });
    c.settle();
    c.tick(12);
    // Replaying from index 1 would start it from the empty membership; it refuses the log's
    // beginning, and an uncompacted leader has no snapshot to send yet.
    const toN4 = c.trace.filter((line) => line.startsWith('n1->n4 append'));
    expect(c.trace).toContain('n4->n1 appendResponse t1 reject 0 hint 0@t0');
    // Its first probe is refused; the leader then stops sending appends and waits for a snapshot.
    expect(toN4).toHaveLength(1);
    expect(c.get('n4').storage.lastIndex()).toBe(0);
    expect(c.raft('n4').status().conf).toEqual({ voters: [], learners: [] });

    c.compact('n1');
    c.tick(12);
    expect(c.trace.some((line) => line.startsWith('n1->n4 snapshot'))).toBe(true);
    expect(c.raft('n4').status().conf).toEqual({
      voters: ['n1', 'n2', 'n3'].map(nodeId),
      learners: [nodeId('n4')],
    });
    // It counts itself as having voted for the leader that gave it its base, in that term.
    expect(c.get('n4').storage.initialState().hardState.vote).toBe('n1');
    c.propose('n1', 'after');
    c.settle();
    expect(c.get('n4').state.at(-1)).toBe('after');
  });

  it('never lets a node with no base vote: a vote its earlier incarnation cast is gone with its disk', () => {
    const voteResponses = (storage: MemoryStorage): Array<[string, boolean]> => {
      const node = new RaftNode(defaultConfig(nodeId('n4'), storage, 1));
      node.step(message({ type: 'vote', from: 'n2', to: 'n4', term: 9, index: 99, logTerm: 1 }));
      const ready = node.ready();
      return [...ready.messages, ...ready.messagesAfterPersist].map((m) => [m.type, m.reject]);
    };
    expect(voteResponses(new MemoryStorage({ voters: [], learners: [] }))).toEqual([
      ['voteResponse', true],
    ]);
    const founders = { voters: ['n1', 'n2', 'n4'].map(nodeId), learners: [] };
    expect(voteResponses(new MemoryStorage(founders))).toEqual([['voteResponse', false]]);
  });

  it('discards a follower log that conflicts with the snapshot', () => {
    const voters = { voters: ['n1', 'n2', 'n3'].map(nodeId), learners: [] };
    const c = new TestCluster('n1 n2 n3');
    c.nodes.clear();
    c.addNode('n1', storageWithLog(voters, [1, 1, 2, 2, 2, 2], 2));
    c.addNode('n2', storageWithLog(voters, [1, 1, 2, 2, 2, 2], 2));
    // n3 holds a long stale suffix of term 1 past where the snapshot will end.
    c.addNode('n3', storageWithLog(voters, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2));
    c.isolate('n3');
    c.campaign('n1');
    c.stabilize();
    c.compact('n1');
    c.heal();
    c.tick(2);
    const s3 = c.get('n3').storage;
    expect(s3.snapshot().meta.index).toBe(7);
    expect(s3.firstIndex()).toBe(8);
    expect(s3.lastIndex()).toBe(7);
    expect(c.raft('n3').status().lastIndex).toBe(7);
    c.propose('n1', 'next');
    c.stabilize();
    expect(s3.term(logIndex(8))).toBe(3);
  });

  it('retries later when storage says the snapshot is temporarily unavailable', () => {
    const c = laggingFollower();
    const storage = c.get('n1').storage;
    const real = storage.snapshot.bind(storage);
    let unavailable = true;
    storage.snapshot = () => {
      if (unavailable) throw new SnapshotTemporarilyUnavailableError();
      return real();
    };
    c.heal();
    c.tick(4);
    expect(c.get('n3').state).toEqual([]);
    unavailable = false;
    c.tick(4);
    expect(c.get('n3').state).toHaveLength(10);
  });

  it('waits in snapshot state until reportSnapshot, and probes again after a failure', () => {
    const c = laggingFollower();
    c.heal();
    c.dropWhere((m) => m.type === 'snapshot');
    c.tick(2);
    const progress = () => c.raft('n1').status().progress?.get(nodeId('n3'));
    expect(progress()?.state).toBe('snapshot');
    c.raft('n1').reportSnapshot(nodeId('n3'), 'failed');
    expect(progress()?.state).toBe('probe');
    c.heal();
    c.tick(4);
    expect(c.get('n3').state).toHaveLength(10);
  });

  it('gives up on a snapshot never reported within two election timeouts', () => {
    const c = laggingFollower();
    c.heal();
    c.dropWhere((m) => m.type === 'snapshot');
    c.tick(2);
    c.dropWhere(null);
    c.tick(25);
    expect(c.get('n3').state).toHaveLength(10);
  });
});
