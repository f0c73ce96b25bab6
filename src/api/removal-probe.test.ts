import { describe, expect, it } from 'vitest';
import type { Member__Output } from '../gen/baton/v1/Member.ts';
import { statusProvesRemoval } from './removal-probe.ts';

const self = { id: 'n4', clusterId: 'prod', appliedIndex: 120 };
const member = (id: string): Member__Output => ({
  id,
  address: `${id}:7000`,
  voter: true,
  matchIndex: 0,
  diskLow: false,
  diskFreeBytes: 0,
  silentMs: 0,
  diskCritical: false,
});

describe('statusProvesRemoval', () => {
  it('holds when a peer that applied at least as much no longer lists this node', () => {
    const peer = { clusterId: 'prod', appliedIndex: 120, members: ['n1', 'n2', 'n3'].map(member) };
    expect(statusProvesRemoval(self, peer)).toBe(true);
    expect(statusProvesRemoval(self, { ...peer, appliedIndex: 500 })).toBe(true);
  });

  it('does not hold for a peer that still lists this node, even as a learner', () => {
    const peer = {
      clusterId: 'prod',
      appliedIndex: 500,
      members: [...['n1', 'n2', 'n3'].map(member), { ...member('n4'), voter: false }],
    };
    expect(statusProvesRemoval(self, peer)).toBe(false);
  });

  it('does not hold for a peer behind this node: the change may be one that adds it', () => {
    const peer = { clusterId: 'prod', appliedIndex: 119, members: ['n1', 'n2', 'n3'].map(member) };
    expect(statusProvesRemoval(self, peer)).toBe(false);
  });

  it('does not hold for another cluster, or a peer that knows no membership yet', () => {
    const members = ['n1', 'n2', 'n3'].map(member);
    expect(statusProvesRemoval(self, { clusterId: 'other', appliedIndex: 500, members })).toBe(
      false,
    );
    expect(statusProvesRemoval(self, { clusterId: 'prod', appliedIndex: 500, members: [] })).toBe(
      false,
    );
  });
});
