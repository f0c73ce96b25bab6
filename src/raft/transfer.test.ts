import { describe, expect, it } from 'vitest';
import { nodeId } from '../lib/index.ts';
import { ProposalDroppedError } from './errors.ts';
import { bytes, TestCluster } from './testing/cluster.ts';

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower with timeoutNow; voters ignore their lease', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.trace = [];
    c.raft('n1').transferLeadership(nodeId('n2'));
    c.stabilize();
    expect(c.trace.slice(0, 4)).toEqual([
      'n1->n2 timeoutNow t1',
      'n2->n1 vote t2 last 1@t1 transfer',
      'n2->n3 vote t2 last 1@t1 transfer',
      'n1->n2 voteResponse t2 grant',
    ]);
    expect(c.leader()).toBe('n2');
    expect(c.raft('n1').status().leader).toBe('n2');
  });

  it('catches a lagging transferee up first, refusing proposals meanwhile', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n3');
    for (let k = 0; k < 5; k++) c.propose('n1', `v${k}`);
    c.stabilize();
    c.heal();
    c.raft('n1').transferLeadership(nodeId('n3'));
    expect(c.raft('n1').status().leadTransferee).toBe('n3');
    expect(() => c.raft('n1').propose(bytes('during'))).toThrow(ProposalDroppedError);
    c.stabilize();
    expect(c.leader()).toBe('n3');
    expect(c.get('n3').state).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('aborts after one election timeout when the transferee does not answer', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n3');
    c.raft('n1').transferLeadership(nodeId('n3'));
    c.tick(5);
    expect(c.raft('n1').status().leadTransferee).toBe('n3');
    c.tick(6);
    expect(c.raft('n1').status().leadTransferee).toBeNull();
    expect(c.leader()).toBe('n1');
    expect(() => c.propose('n1', 'after')).not.toThrow();
  });

  it('refuses a transfer to a node that is not a voter', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    expect(() => {
      c.raft('n1').transferLeadership(nodeId('n9'));
    }).toThrow(ProposalDroppedError);
  });
});
