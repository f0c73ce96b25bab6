import { nodeId } from '../../src/lib/index.ts';
import type { LogIndex, Term } from '../../src/lib/index.ts';
import type { ConfState } from '../../src/raft/types.ts';

export const CRASH_CLUSTER_ID = 'crash-test';
export const CRASH_NODE_ID = 'n1';
export const crashBootstrap: ConfState = { voters: [nodeId(CRASH_NODE_ID)], learners: [] };
export const ENTRY_DATA_BYTES = 100;

/** The 100 bytes the child writes at `index` in `entryTerm`: checkable without the child's help. */
export function expectedEntryData(index: LogIndex, entryTerm: Term): Uint8Array {
  const pattern = `<${index}:${entryTerm}>`;
  return new TextEncoder().encode(
    pattern.repeat(Math.ceil(ENTRY_DATA_BYTES / pattern.length)).slice(0, ENTRY_DATA_BYTES),
  );
}
