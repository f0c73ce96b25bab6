// Original file: proto/baton/raft/v1/raft.proto

import type { Message as _baton_raft_v1_Message, Message__Output as _baton_raft_v1_Message__Output } from '../../../baton/raft/v1/Message.ts';
import type { Long } from '@grpc/proto-loader';

export interface MessageBatch {
  'clusterId'?: (string);
  'from'?: (string);
  'messages'?: (_baton_raft_v1_Message)[];
  'diskLow'?: (boolean);
  'diskFreeBytes'?: (number | string | Long);
  'diskCritical'?: (boolean);
}

export interface MessageBatch__Output {
  'clusterId': (string);
  'from': (string);
  'messages': (_baton_raft_v1_Message__Output)[];
  'diskLow': (boolean);
  'diskFreeBytes': (number);
  'diskCritical': (boolean);
}
