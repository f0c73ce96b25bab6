// Original file: proto/baton/v1/admin.proto

import type { Member as _baton_v1_Member, Member__Output as _baton_v1_Member__Output } from '../../baton/v1/Member.ts';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'clusterId'?: (string);
  'nodeId'?: (string);
  'term'?: (number | string | Long);
  'role'?: (string);
  'leaderId'?: (string);
  'leaderAddress'?: (string);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'lastIndex'?: (number | string | Long);
  'members'?: (_baton_v1_Member)[];
}

export interface StatusResponse__Output {
  'clusterId': (string);
  'nodeId': (string);
  'term': (number);
  'role': (string);
  'leaderId': (string);
  'leaderAddress': (string);
  'commitIndex': (number);
  'appliedIndex': (number);
  'lastIndex': (number);
  'members': (_baton_v1_Member__Output)[];
}
