import { describe, expect, it } from 'vitest';
import { nodeId } from '../lib/index.ts';
import { NotLeaderError, ProposalDroppedError } from './errors.ts';
import { TestCluster } from './testing/cluster.ts';

describe('ReadIndex', () => {
  it('confirms leadership with one heartbeat round and reports the commit index at request time', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.propose('n1', 'a');
    c.stabilize();
    c.trace = [];
    c.raft('n1').readIndex('r1');
    c.raft('n1').readIndex('r2');
    c.stabilize();
    // Both reads share one round: one heartbeat per follower.
    expect(c.trace).toEqual([
      'n1->n2 heartbeat t1 commit 2 read',
      'n1->n3 heartbeat t1 commit 2 read',
      'n2->n1 heartbeatResponse t1 read',
      'n3->n1 heartbeatResponse t1 read',
    ]);
    expect(c.get('n1').readStates).toEqual([
      { requestId: 'r1', index: 2 },
      { requestId: 'r2', index: 2 },
    ]);
  });

  it('serves nothing without a quorum of acknowledgements', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n2');
    c.isolate('n3');
    c.raft('n1').readIndex('r1');
    c.stabilize();
    expect(c.get('n1').readStates).toEqual([]);
    c.heal();
    c.cut('n1', 'n3');
    c.tick(2);
    // A later round's quorum also proves the earlier read.
    c.raft('n1').readIndex('r2');
    c.stabilize();
    expect(c.get('n1').readStates.map((r) => r.requestId)).toEqual(['r1', 'r2']);
  });

  it('waits until the new leader has committed an entry of its own term', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.propose('n1', 'a');
    c.settle();
    // n2 becomes leader, but none of its appends (so not its no-op) get through yet.
    c.raft('n1').transferLeadership(nodeId('n2'));
    c.dropWhere((m) => m.from === nodeId('n2') && m.type === 'append');
    c.stabilize();
    expect(c.leader()).toBe('n2');
    expect(c.raft('n2').status().commit).toBe(2);
    c.raft('n2').readIndex('early');
    c.stabilize();
    expect(c.get('n2').readStates).toEqual([]);
    c.heal();
    c.tick(2);
    expect(c.raft('n2').status().commit).toBe(3);
    expect(c.get('n2').readStates).toEqual([{ requestId: 'early', index: 3 }]);
  });

  it('a single voter serves reads at once (after its own-term commit)', () => {
    const c = new TestCluster('n1');
    c.campaign('n1');
    c.stabilize();
    c.raft('n1').readIndex('solo');
    c.stabilize();
    expect(c.get('n1').readStates).toEqual([{ requestId: 'solo', index: 1 }]);
  });

  it('is refused on a follower, and dropped by a leader that steps down', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    expect(() => {
      c.raft('n2').readIndex('r');
    }).toThrow(NotLeaderError);
    c.isolate('n1');
    c.raft('n1').readIndex('lost');
    c.tick(30);
    c.heal();
    c.tick(10);
    expect(c.get('n1').readStates).toEqual([]);
    expect(c.raft('n1').status().role).not.toBe('leader');
  });

  it('limits the reads pending at the leader', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n2');
    c.isolate('n3');
    const n1 = c.raft('n1');
    expect(() => {
      for (let k = 0; k < 70_000; k++) n1.readIndex(`r${k}`);
    }).toThrow(ProposalDroppedError);
  });
});
