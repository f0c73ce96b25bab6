// Original file: proto/baton/v1/admin.proto

import type { Member as _baton_v1_Member, Member__Output as _baton_v1_Member__Output } from '../../baton/v1/Member.ts';
import type { Long } from '@grpc/proto-loader';

export interface MembershipResponse {
  'members'?: (_baton_v1_Member)[];
  'index'?: (number | string | Long);
}

export interface MembershipResponse__Output {
  'members': (_baton_v1_Member__Output)[];
  'index': (number);
}
