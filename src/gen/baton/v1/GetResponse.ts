// Original file: proto/baton/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface GetResponse {
  'found'?: (boolean);
  'value'?: (Buffer | Uint8Array | string);
  'index'?: (number | string | Long);
}

export interface GetResponse__Output {
  'found': (boolean);
  'value': (Buffer);
  'index': (number);
}
