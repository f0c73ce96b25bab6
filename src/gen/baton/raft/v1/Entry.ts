// Original file: proto/baton/raft/v1/raft.proto

import type { EntryKind as _baton_raft_v1_EntryKind, EntryKind__Output as _baton_raft_v1_EntryKind__Output } from '../../../baton/raft/v1/EntryKind.ts';
import type { Long } from '@grpc/proto-loader';

export interface Entry {
  'term'?: (number | string | Long);
  'index'?: (number | string | Long);
  'kind'?: (_baton_raft_v1_EntryKind);
  'data'?: (Buffer | Uint8Array | string);
}

export interface Entry__Output {
  'term': (number);
  'index': (number);
  'kind': (_baton_raft_v1_EntryKind__Output);
  'data': (Buffer);
}
