// Original file: proto/baton/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadIndexResponse {
  'index'?: (number | string | Long);
}

export interface ReadIndexResponse__Output {
  'index': (number);
}
