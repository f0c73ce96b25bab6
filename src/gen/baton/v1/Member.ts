// Original file: proto/baton/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Member {
  'id'?: (string);
  'address'?: (string);
  'voter'?: (boolean);
  'matchIndex'?: (number | string | Long);
  'diskLow'?: (boolean);
  'diskFreeBytes'?: (number | string | Long);
  'silentMs'?: (number | string | Long);
  'diskCritical'?: (boolean);
}

export interface Member__Output {
  'id': (string);
  'address': (string);
  'voter': (boolean);
  'matchIndex': (number);
  'diskLow': (boolean);
  'diskFreeBytes': (number);
  'silentMs': (number);
  'diskCritical': (boolean);
}
