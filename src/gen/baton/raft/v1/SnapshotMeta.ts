// Original file: proto/baton/raft/v1/raft.proto

import type { ConfState as _baton_raft_v1_ConfState, ConfState__Output as _baton_raft_v1_ConfState__Output } from '../../../baton/raft/v1/ConfState.ts';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotMeta {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'conf'?: (_baton_raft_v1_ConfState | null);
}

export interface SnapshotMeta__Output {
  'index': (number);
  'term': (number);
  'conf': (_baton_raft_v1_ConfState__Output | null);
}
