// Original file: proto/baton/raft/v1/raft.proto

import type { Message as _baton_raft_v1_Message, Message__Output as _baton_raft_v1_Message__Output } from '../../../baton/raft/v1/Message.ts';
import type { SnapshotMeta as _baton_raft_v1_SnapshotMeta, SnapshotMeta__Output as _baton_raft_v1_SnapshotMeta__Output } from '../../../baton/raft/v1/SnapshotMeta.ts';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotHeader {
  'clusterId'?: (string);
  'from'?: (string);
  'message'?: (_baton_raft_v1_Message | null);
  'meta'?: (_baton_raft_v1_SnapshotMeta | null);
  'totalBytes'?: (number | string | Long);
  'sha256'?: (Buffer | Uint8Array | string);
}

export interface SnapshotHeader__Output {
  'clusterId': (string);
  'from': (string);
  'message': (_baton_raft_v1_Message__Output | null);
  'meta': (_baton_raft_v1_SnapshotMeta__Output | null);
  'totalBytes': (number);
  'sha256': (Buffer);
}
