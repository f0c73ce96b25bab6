import { describe, expect, it } from 'vitest';
import { SeededRng } from '../lib/index.ts';
import { message, TestCluster } from './testing/cluster.ts';

describe('leader election', () => {
  it('elects the node that campaigns, via pre-vote then vote, and commits its no-op', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    expect(c.trace).toEqual([
      'n1->n2 preVote t1 last 0@t0',
      'n1->n3 preVote t1 last 0@t0',
      'n2->n1 preVoteResponse t1 grant',
      'n3->n1 preVoteResponse t1 grant',
      'n1->n2 vote t1 last 0@t0',
      'n1->n3 vote t1 last 0@t0',
      'n2->n1 voteResponse t1 grant',
      'n3->n1 voteResponse t1 grant',
      'n1->n2 append t1 prev 0@t0 [1@t1] commit 0',
      'n1->n3 append t1 prev 0@t0 [1@t1] commit 0',
      'n2->n1 appendResponse t1 ok 1',
      'n3->n1 appendResponse t1 ok 1',
    ]);
    expect(c.raft('n1').status().commit).toBe(1);
    expect(c.raft('n2').status().commit).toBe(0);
    // The followers learn the commit index from the notice the leader sends on its next tick.
    c.trace = [];
    c.tick(1, ['n1']);
    expect(c.trace).toEqual([
      'n1->n2 append t1 prev 1@t1 [] commit 1',
      'n1->n3 append t1 prev 1@t1 [] commit 1',
      'n2->n1 appendResponse t1 ok 1',
      'n3->n1 appendResponse t1 ok 1',
    ]);
    for (const id of ['n1', 'n2', 'n3']) {
      const s = c.raft(id).status();
      expect(s.leader).toBe('n1');
      expect(s.term).toBe(1);
      expect(s.commit).toBe(1);
    }
  });

  it('elects a leader by itself when nodes only tick', () => {
    const c = new TestCluster('n1 n2 n3');
    c.tick(30);
    const leader = c.leader();
    expect(leader).not.toBeNull();
    for (const n of c.nodes.values()) expect(n.node.status().leader).toBe(leader);
  });

  it('a single voter elects itself and commits without any message', () => {
    const c = new TestCluster('n1');
    c.campaign('n1');
    c.stabilize();
    expect(c.raft('n1').status().role).toBe('leader');
    expect(c.raft('n1').status().commit).toBe(1);
    expect(c.trace).toEqual([]);
  });

  it('sends vote responses only after persisting the vote, and never a message to itself', () => {
    const c = new TestCluster('n1 n2 n3');
    c.raft('n1').campaign();
    const r1 = c.raft('n1').ready();
    // Pre-votes promise nothing and leave at once.
    expect(r1.messages.map((m) => m.type)).toEqual(['preVote', 'preVote']);
    expect(r1.messages.every((m) => m.to !== m.from)).toBe(true);
    c.raft('n1').advance(r1);
    c.raft('n2').step(r1.messages[0]!);
    const r2 = c.raft('n2').ready();
    expect(r2.messages).toEqual([]);
    expect(r2.messagesAfterPersist.map((m) => m.type)).toEqual(['preVoteResponse']);
    c.raft('n1').step(r2.messagesAfterPersist[0]!);
    const r3 = c.raft('n1').ready();
    // The candidate's own vote must be durable before it asks for others'.
    expect(r3.hardState).toEqual({ term: 1, vote: 'n1', commit: 0 });
    expect(r3.messages).toEqual([]);
    expect(r3.messagesAfterPersist.map((m) => `${m.type}->${m.to}`)).toEqual([
      'vote->n2',
      'vote->n3',
    ]);
    c.raft('n2').step(r3.messagesAfterPersist[0]!);
    const r4 = c.raft('n2').ready();
    expect(r4.hardState?.vote).toBe('n1');
    expect(r4.messages).toEqual([]);
    expect(r4.messagesAfterPersist.map((m) => `${m.type} ${m.reject}`)).toEqual([
      'voteResponse false',
    ]);
  });

  it('draws election timeouts uniformly in [electionTicks, 2*electionTicks)', () => {
    const firstCampaignTicks: number[] = [];
    for (let seed = 0; seed < 200; seed++) {
      const c = new TestCluster('n1 n2 n3', { rng: new SeededRng(seed) });
      const n = c.raft('n1');
      // Isolated so nothing resets its timer; count ticks until it becomes a pre-candidate.
      c.isolate('n1');
      for (let t = 1; t <= 25; t++) {
        n.tick();
        c.processReady(c.get('n1'));
        if (n.status().role !== 'follower') {
          firstCampaignTicks.push(t);
          break;
        }
      }
    }
    expect(Math.min(...firstCampaignTicks)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...firstCampaignTicks)).toBeLessThan(20);
    expect(new Set(firstCampaignTicks).size).toBeGreaterThan(1);
  });

  it('refuses a second vote in the same term and re-grants the same candidate', () => {
    const c = new TestCluster('n1 n2 n3', { preVote: false });
    c.isolate('n3');
    c.campaign('n1');
    c.stabilize();
    c.heal();
    // n2 voted n1 in term 1; n3 (term 0) campaigns for term 1 too.
    const n2 = c.raft('n2');
    n2.step(
      message({
        type: 'vote',
        from: 'n3',
        to: 'n2',
        term: 1,
        logTerm: 1,
        index: 1,
        context: new Uint8Array([1]),
      }),
    );
    const r = n2.ready();
    expect(r.messagesAfterPersist.map((m) => `${m.type} ${m.reject}`)).toEqual([
      'voteResponse true',
    ]);
  });
});

describe('pre-vote', () => {
  it('a partitioned node rejoining does not disrupt the leader or raise terms', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n3');
    // n3 times out again and again; its pre-votes go nowhere and its term stays.
    c.tick(100);
    expect(c.raft('n3').status().term).toBe(1);
    expect(c.raft('n3').status().role).toBe('preCandidate');
    c.propose('n1', 'x');
    c.stabilize();
    c.heal();
    c.tick(40);
    expect(c.leader()).toBe('n1');
    expect(c.raft('n1').status().term).toBe(1);
    expect(c.raft('n3').status().leader).toBe('n1');
    expect(c.get('n3').state).toEqual(['x']);
  });

  it('without pre-vote the same rejoin deposes the leader by raising the term', () => {
    const c = new TestCluster('n1 n2 n3', { preVote: false, checkQuorum: false });
    c.campaign('n1');
    c.stabilize();
    c.isolate('n3');
    c.tick(100);
    expect(c.raft('n3').status().term).toBeGreaterThan(1);
    c.heal();
    c.tick(30);
    expect(c.raft('n1').status().term).toBeGreaterThan(1);
  });

  it('a follower in its leader lease ignores (pre)votes; a transfer vote overrides the lease', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.raft('n2').step(
      message({ type: 'preVote', from: 'n3', to: 'n2', term: 2, logTerm: 1, index: 1 }),
    );
    expect(c.raft('n2').hasReady()).toBe(false);
    c.raft('n2').step(
      message({
        type: 'vote',
        from: 'n3',
        to: 'n2',
        term: 2,
        logTerm: 1,
        index: 1,
        context: new Uint8Array([1]),
      }),
    );
    const r = c.raft('n2').ready();
    expect(r.messagesAfterPersist.map((m) => `${m.type} t${m.term} ${m.reject}`)).toEqual([
      'voteResponse t2 false',
    ]);
  });
});

describe('leader lease', () => {
  it('expires after max(2*heartbeatTicks, electionTicks/2) ticks, before any election timeout', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n1');
    const preVote = message({
      type: 'preVote',
      from: 'n3',
      to: 'n2',
      term: 2,
      index: 1,
      logTerm: 1,
    });
    // heartbeatTicks 2, electionTicks 10: the lease is 5 ticks.
    c.tick(4, ['n2']);
    c.raft('n2').step(preVote);
    expect(c.raft('n2').hasReady()).toBe(false);
    c.tick(1, ['n2']);
    expect(c.raft('n2').status().role).toBe('follower');
    c.raft('n2').step(preVote);
    const r = c.raft('n2').ready();
    expect(r.messagesAfterPersist.map((m) => `${m.type} t${m.term} ${m.reject}`)).toEqual([
      'preVoteResponse t2 false',
    ]);
  });
});

describe('check-quorum', () => {
  it('a leader cut off from the majority steps down within an election timeout or two', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n1');
    let ticks = 0;
    while (c.raft('n1').status().role === 'leader' && ticks < 100) {
      c.tick(1, ['n1']);
      ticks++;
    }
    expect(c.raft('n1').status().role).toBe('follower');
    expect(ticks).toBeLessThanOrEqual(20);
  });

  it('a leader that hears from a quorum stays leader', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n3');
    c.tick(60, ['n1', 'n2']);
    expect(c.leader()).toBe('n1');
    expect(c.raft('n1').status().term).toBe(1);
  });

  it('the majority side elects a new leader and the old one follows it after healing', () => {
    const c = new TestCluster('n1 n2 n3');
    c.campaign('n1');
    c.stabilize();
    c.isolate('n1');
    c.tick(60);
    const newLeader = c.leader();
    expect(newLeader === 'n2' || newLeader === 'n3').toBe(true);
    c.heal();
    c.tick(10);
    expect(c.raft('n1').status().leader).toBe(newLeader);
  });
});
