import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeId } from '../lib/index.ts';
import { applyConfChange, decodeConfChange, encodeConfChange } from './conf-change.ts';
import { ConfChangeRejectedError } from './errors.ts';
import type { MemoryStorage } from './memory-storage.ts';
import { RaftNode } from './node.ts';
import { defaultConfig, TestCluster } from './testing/cluster.ts';
import type { ConfChange } from './types.ts';

const n = nodeId;

function elected(ids = 'n1 n2 n3'): TestCluster {
  const c = new TestCluster(ids);
  c.campaign('n1');
  c.stabilize();
  return c;
}

function change(c: TestCluster, cc: ConfChange): void {
  c.raft('n1').proposeConfChange(cc);
  c.settle();
}

describe('conf-change encoding', () => {
  it('round-trips every change type', () => {
    for (const type of ['addLearner', 'promote', 'addVoter', 'remove', 'forceSoleVoter'] as const) {
      expect(decodeConfChange(encodeConfChange({ type, node: n('node-é') }))).toEqual({
        type,
        node: 'node-é',
      });
    }
  });

  it('rejects bad encodings with a typed error instead of crashing', () => {
    for (const bad of [
      new Uint8Array(),
      new Uint8Array([1, 1]),
      new Uint8Array([9, 1, 65]),
      new Uint8Array([1, 7, 65]),
      new Uint8Array([1, 1, 0xff, 0xfe]),
    ]) {
      expect(() => decodeConfChange(bad)).toThrow(ConfChangeRejectedError);
    }
  });

  it('never crashes on arbitrary bytes: a valid change or ConfChangeRejectedError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        try {
          const decoded = decodeConfChange(data);
          expect(encodeConfChange(decoded)).toEqual(data);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfChangeRejectedError);
        }
      }),
    );
  });

  it('validates changes against the membership', () => {
    const conf = { voters: [n('a'), n('b')], learners: [n('c')] };
    expect(applyConfChange(conf, { type: 'promote', node: n('c') })).toEqual({
      voters: ['a', 'b', 'c'],
      learners: [],
    });
    expect(() => applyConfChange(conf, { type: 'promote', node: n('a') })).toThrow(
      ConfChangeRejectedError,
    );
    expect(() => applyConfChange(conf, { type: 'addLearner', node: n('b') })).toThrow(
      ConfChangeRejectedError,
    );
    expect(() => applyConfChange(conf, { type: 'remove', node: n('z') })).toThrow(
      ConfChangeRejectedError,
    );
    expect(() =>
      applyConfChange({ voters: [n('a')], learners: [] }, { type: 'remove', node: n('a') }),
    ).toThrow(ConfChangeRejectedError);
  });

  it('a forced membership leaves exactly one voter, whatever came before, and is never proposed', () => {
    const conf = { voters: [n('a'), n('b'), n('c')], learners: [n('d')] };
    expect(applyConfChange(conf, { type: 'forceSoleVoter', node: n('d') })).toEqual({
      voters: ['d'],
      learners: [],
    });
    const c = elected();
    const lastBefore = c.raft('n1').status().lastIndex;
    expect(() => c.raft('n1').proposeConfChange({ type: 'forceSoleVoter', node: n('n1') })).toThrow(
      /cannot be proposed/,
    );
    expect(c.raft('n1').status().lastIndex).toBe(lastBefore);
  });
});

describe('membership changes', () => {
  it('adds a learner that catches up without voting, then promotes it to voter', () => {
    const c = elected();
    c.propose('n1', 'before');
    c.stabilize();
    c.addNode('n4');
    change(c, { type: 'addLearner', node: n('n4') });
    expect(c.raft('n1').status().conf).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    expect(c.get('n4').state).toEqual(['before']);
    expect(c.raft('n1').status().progress?.get(n('n4'))?.learner).toBe(true);
    // A learner never campaigns, however long it waits.
    c.isolate('n1');
    c.isolate('n2');
    c.isolate('n3');
    c.tick(50, ['n4']);
    expect(c.raft('n4').status().role).toBe('follower');
    c.heal();
    c.tick(4);
    change(c, { type: 'promote', node: n('n4') });
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      expect(c.raft(id).status().conf).toEqual({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    }
    // Four voters need three for a quorum: with n2 and n3 gone nothing commits.
    c.isolate('n2');
    c.isolate('n3');
    const before = c.raft('n1').status().commit;
    c.propose('n1', 'needs-three');
    c.stabilize();
    expect(c.raft('n1').status().commit).toBe(before);
  });

  it('a learner acknowledgement never counts towards a commit', () => {
    const c = elected('n1 n2');
    c.addNode('n3');
    change(c, { type: 'addLearner', node: n('n3') });
    c.isolate('n2');
    const before = c.raft('n1').status().commit;
    c.propose('n1', 'learner-only');
    c.stabilize();
    expect(c.raft('n3').status().lastIndex).toBeGreaterThan(before);
    expect(c.raft('n1').status().commit).toBe(before);
  });

  it('refuses a second change while the first is uncommitted', () => {
    const c = elected();
    c.isolate('n2');
    c.isolate('n3');
    c.raft('n1').proposeConfChange({ type: 'addLearner', node: n('n4') });
    expect(() => c.raft('n1').proposeConfChange({ type: 'addLearner', node: n('n5') })).toThrow(
      ConfChangeRejectedError,
    );
    c.heal();
    c.tick(4);
    expect(() =>
      c.raft('n1').proposeConfChange({ type: 'addLearner', node: n('n5') }),
    ).not.toThrow();
  });

  it('refuses a change before the leader committed an entry of its term', () => {
    const c = new TestCluster('n1 n2 n3');
    c.dropWhere((m) => m.type === 'append');
    c.campaign('n1');
    c.stabilize();
    expect(c.leader()).toBe('n1');
    expect(() => c.raft('n1').proposeConfChange({ type: 'addLearner', node: n('n4') })).toThrow(
      /committed an entry of its term/,
    );
  });

  it('removes a follower: the rest commit without it', () => {
    const c = elected();
    change(c, { type: 'remove', node: n('n3') });
    expect(c.raft('n1').status().conf.voters).toEqual(['n1', 'n2']);
    expect(c.raft('n1').status().progress?.has(n('n3'))).toBe(false);
    c.isolate('n3');
    c.propose('n1', 'two-of-two');
    c.settle();
    expect(c.get('n2').state).toEqual(['two-of-two']);
  });

  it('a removed leader steps down once the removal commits, and the rest elect a leader', () => {
    const c = elected();
    c.raft('n1').proposeConfChange({ type: 'remove', node: n('n1') });
    c.stabilize();
    expect(c.raft('n1').status().role).toBe('follower');
    // It will never tick as leader again, so it told the others of the commit before stepping
    // down (commit notices otherwise wait for the leader's tick).
    for (const id of ['n2', 'n3']) {
      expect(c.raft(id).status().conf.voters).toEqual(['n2', 'n3']);
      expect(c.raft(id).status().commit).toBe(c.raft('n1').status().commit);
    }
    c.tick(40);
    const leader = c.leader();
    expect(leader === 'n2' || leader === 'n3').toBe(true);
    // n1 is no voter in its own configuration: it never campaigns again.
    c.isolate('n2');
    c.isolate('n3');
    c.tick(50, ['n1']);
    expect(c.raft('n1').status().role).toBe('follower');
  });

  it('a leader that appended its own removal and crashed still campaigns: the others cannot win without it', () => {
    const c = elected('n1 n2 n3 n4');
    c.propose('n1', 'before');
    c.settle();
    // n4 is gone for good: n1, n2, n3 are the three of four that any quorum needs.
    c.isolate('n4');
    c.dropWhere((m) => m.from === n('n1') && m.type === 'append');
    c.raft('n1').proposeConfChange({ type: 'remove', node: n('n1') });
    c.propose('n1', 'only-on-n1');
    c.stabilize();
    c.restart('n1');
    c.heal();
    c.isolate('n4');
    // n1 holds the longest log, so it refuses n2 and n3; only it can win, in the configuration
    // its own log holds ({n2, n3, n4}: n2 and n3 suffice). It commits its removal and steps down.
    c.tick(80);
    expect(c.raft('n2').status().conf.voters).toEqual(['n2', 'n3', 'n4']);
    expect(c.raft('n2').status().commit).toBeGreaterThanOrEqual(
      c.raft('n1').status().lastIndex - 1,
    );
    const leader = c.leader();
    expect(leader === 'n2' || leader === 'n3').toBe(true);
    c.propose(leader!, 'after');
    c.settle();
    expect(c.get('n3').state.slice(-2)).toEqual(['only-on-n1', 'after']);
  });

  it('a change takes effect when appended and reverts when its entry is truncated', () => {
    const c = elected();
    c.isolate('n2');
    c.isolate('n3');
    c.raft('n1').proposeConfChange({ type: 'addLearner', node: n('n4') });
    c.stabilize();
    expect(c.raft('n1').status().conf.learners).toEqual(['n4']);
    // n2 leads term 2 without the change; n1 rejoins and its uncommitted entry is overwritten.
    c.heal();
    c.isolate('n1');
    c.raft('n2').campaign();
    c.stabilize();
    c.tick(30);
    expect(c.leader()).not.toBe('n1');
    c.heal();
    c.tick(10);
    expect(c.raft('n1').status().conf).toEqual({ voters: ['n1', 'n2', 'n3'], learners: [] });
  });

  it('derives the membership from storage on restart (snapshot conf + stored config entries)', () => {
    const c = elected();
    c.addNode('n4');
    change(c, { type: 'addLearner', node: n('n4') });
    change(c, { type: 'promote', node: n('n4') });
    c.compact('n2');
    c.restart('n2');
    expect(c.raft('n2').status().conf.voters).toEqual(['n1', 'n2', 'n3', 'n4']);
    c.restart('n3');
    expect(c.raft('n3').status().conf.voters).toEqual(['n1', 'n2', 'n3', 'n4']);
    // A restarted node from storage alone, with an unrelated applied index, agrees too.
    const storage: MemoryStorage = c.get('n3').storage.clone();
    const fresh = new RaftNode(defaultConfig(n('n3'), storage, 7));
    expect(fresh.status().conf.voters).toEqual(['n1', 'n2', 'n3', 'n4']);
  });
});
