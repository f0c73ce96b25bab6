// Original file: proto/baton/raft/v1/raft.proto

import type { MessageType as _baton_raft_v1_MessageType, MessageType__Output as _baton_raft_v1_MessageType__Output } from '../../../baton/raft/v1/MessageType.ts';
import type { Entry as _baton_raft_v1_Entry, Entry__Output as _baton_raft_v1_Entry__Output } from '../../../baton/raft/v1/Entry.ts';
import type { Long } from '@grpc/proto-loader';

export interface Message {
  'type'?: (_baton_raft_v1_MessageType);
  'from'?: (string);
  'to'?: (string);
  'term'?: (number | string | Long);
  'logTerm'?: (number | string | Long);
  'index'?: (number | string | Long);
  'entries'?: (_baton_raft_v1_Entry)[];
  'commit'?: (number | string | Long);
  'reject'?: (boolean);
  'rejectHint'?: (number | string | Long);
  'context'?: (Buffer | Uint8Array | string);
}

export interface Message__Output {
  'type': (_baton_raft_v1_MessageType__Output);
  'from': (string);
  'to': (string);
  'term': (number);
  'logTerm': (number);
  'index': (number);
  'entries': (_baton_raft_v1_Entry__Output)[];
  'commit': (number);
  'reject': (boolean);
  'rejectHint': (number);
  'context': (Buffer);
}
