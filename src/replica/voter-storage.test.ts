import { describe, expect, it } from 'vitest';
import { HEALTHY_STORAGE, nodeId } from '../lib/index.ts';
import type { NodeId, StorageHealth } from '../lib/index.ts';
import { VoterStorage } from './voter-storage.ts';

const MIB = 1024 * 1024;
const n1 = nodeId('n1');
const n2 = nodeId('n2');
const n3 = nodeId('n3');
const voters = [n1, n2, n3];
const low = (freeMib: number): StorageHealth => ({
  diskLow: true,
  diskCritical: false,
  diskFreeBytes: freeMib * MIB,
});
const critical = (freeMib: number): StorageHealth => ({ ...low(freeMib), diskCritical: true });

function storage(heard: Set<NodeId> = new Set(voters)): VoterStorage {
  return new VoterStorage(n1, (peer) => heard.has(peer));
}

describe('VoterStorage', () => {
  it('counts a low report only while its sender is heard; its own always', () => {
    const heard = new Set<NodeId>([n2]);
    const view = storage(heard);
    view.setPeer(n3, low(100));
    expect(view.anyLow(voters)).toBe(false);
    expect(view.reported(n3).diskLow).toBe(true);
    heard.add(n3);
    expect(view.lowVoters(voters)).toEqual([{ id: n3, freeBytes: 100 * MIB }]);
    view.setLocal(low(200));
    heard.clear();
    expect(view.lowVoters(voters)).toEqual([{ id: n1, freeBytes: 200 * MIB }]);
  });

  it('lists the critical voters, heard ones and itself, and no others', () => {
    const heard = new Set<NodeId>(voters);
    const view = storage(heard);
    expect(view.criticalVoters(voters)).toEqual([]);
    view.setPeer(n2, low(100));
    view.setPeer(n3, critical(10));
    expect(view.criticalVoters(voters)).toEqual([{ id: n3, freeBytes: 10 * MIB }]);
    expect(view.lowVoters(voters)).toHaveLength(2);
    heard.delete(n3);
    expect(view.criticalVoters(voters)).toEqual([]);
    view.setLocal(critical(5));
    expect(view.criticalVoters(voters)).toEqual([{ id: n1, freeBytes: 5 * MIB }]);
    view.setLocal(HEALTHY_STORAGE);
    // A learner (or any member not asked about) is not among them.
    view.setPeer(nodeId('n4'), critical(1));
    heard.add(nodeId('n4'));
    expect(view.criticalVoters(voters)).toEqual([]);
  });
});
