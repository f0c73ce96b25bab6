// Original file: proto/baton/raft/v1/raft.proto

import type { SnapshotHeader as _baton_raft_v1_SnapshotHeader, SnapshotHeader__Output as _baton_raft_v1_SnapshotHeader__Output } from '../../../baton/raft/v1/SnapshotHeader.ts';

export interface SnapshotChunk {
  'header'?: (_baton_raft_v1_SnapshotHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'chunk'?: "header"|"data";
}

export interface SnapshotChunk__Output {
  'header'?: (_baton_raft_v1_SnapshotHeader__Output | null);
  'data'?: (Buffer);
  'chunk'?: "header"|"data";
}
