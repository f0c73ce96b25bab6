// Original file: proto/baton/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupRequest {
  'minIndex'?: (number | string | Long);
}

export interface BackupRequest__Output {
  'minIndex': (number);
}
