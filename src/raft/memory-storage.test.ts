import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../lib/index.ts';
import { MemoryStorage } from './memory-storage.ts';
import {
  describeRaftStorageContract,
  STORAGE_CONTRACT_BOOTSTRAP,
} from './testing/storage-contract.ts';

describeRaftStorageContract('MemoryStorage', () =>
  Promise.resolve({
    store: new MemoryStorage(STORAGE_CONTRACT_BOOTSTRAP),
    close: () => Promise.resolve(),
  }),
);

describe('MemoryStorage.clone', () => {
  it('is independent of the original: later writes to one do not show in the other', () => {
    const original = new MemoryStorage(STORAGE_CONTRACT_BOOTSTRAP);
    const entryAt = (i: number, t: number) => ({
      index: logIndex(i),
      term: term(t),
      kind: 'normal' as const,
      data: new Uint8Array([i]),
    });
    original.saveSync({
      entries: [entryAt(1, 1), entryAt(2, 1)],
      hardState: { term: term(1), vote: nodeId('n1'), commit: logIndex(1) },
    });
    const copy = original.clone();
    original.saveSync({
      entries: [entryAt(2, 2), entryAt(3, 2)],
      hardState: { term: term(2), vote: null, commit: logIndex(1) },
    });
    expect(copy.lastIndex()).toBe(2);
    expect(copy.term(logIndex(2))).toBe(1);
    expect(copy.initialState().hardState.term).toBe(1);
    copy.saveSync({ entries: [entryAt(3, 1)] });
    expect(original.term(logIndex(3))).toBe(2);
  });
});
