import { describe, expect, it } from 'vitest';
import { nodeId } from '../lib/index.ts';
import { message, storageWithLog, TestCluster } from './testing/cluster.ts';

const voters3 = { voters: ['n1', 'n2', 'n3'].map(nodeId), learners: [] };

/** The commitPreviousTermByCounting switch is shown in replication.test.ts (Figure 8). */
describe('testing bugs change behaviour', () => {
  it('voteWithoutLogCheck grants a vote to a candidate whose log is behind', () => {
    for (const voteWithoutLogCheck of [false, true]) {
      const c = new TestCluster('n1 n2 n3', { testingBugs: { voteWithoutLogCheck } });
      c.nodes.clear();
      c.addNode('n1', storageWithLog(voters3, [1], 1));
      c.addNode('n2', storageWithLog(voters3, [1, 1, 1], 1));
      c.addNode('n3', storageWithLog(voters3, [1, 1, 1], 1));
      c.campaign('n1');
      c.stabilize();
      expect(c.leader() === 'n1').toBe(voteWithoutLogCheck);
    }
  });

  it('replyBeforePersistingVote sends the vote response before the vote is persisted', () => {
    for (const replyBeforePersistingVote of [false, true]) {
      const c = new TestCluster('n1 n2 n3', { testingBugs: { replyBeforePersistingVote } });
      const n2 = c.raft('n2');
      n2.step(message({ type: 'vote', from: 'n1', to: 'n2', term: 1 }));
      const r = n2.ready();
      expect(r.hardState?.vote).toBe('n1');
      const early = r.messages.filter((m) => m.type === 'voteResponse');
      const late = r.messagesAfterPersist.filter((m) => m.type === 'voteResponse');
      expect([early.length, late.length]).toEqual(replyBeforePersistingVote ? [1, 0] : [0, 1]);
    }
  });

  it('replyBeforePersistingVote lets a crash make a node vote twice in one term', () => {
    const c = new TestCluster('n1 n2 n3', {
      preVote: false,
      testingBugs: { replyBeforePersistingVote: true },
    });
    const n2 = c.raft('n2');
    n2.step(message({ type: 'vote', from: 'n1', to: 'n2', term: 1 }));
    const r = n2.ready();
    expect(r.messages.map((m) => `${m.type} ${m.reject}`)).toEqual(['voteResponse false']);
    // Crash before persisting: the vote for n1 is forgotten.
    c.restart('n2');
    const again = c.raft('n2');
    again.step(message({ type: 'vote', from: 'n3', to: 'n2', term: 1 }));
    const r2 = again.ready();
    expect(r2.messages.map((m) => `${m.type}->${m.to} ${m.reject}`)).toEqual([
      'voteResponse->n3 false',
    ]);
  });
});
