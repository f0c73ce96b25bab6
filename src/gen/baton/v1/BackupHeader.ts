// Original file: proto/baton/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupHeader {
  'clusterId'?: (string);
  'nodeId'?: (string);
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'voters'?: (string)[];
  'learners'?: (string)[];
  'dataBytes'?: (number | string | Long);
  'dataCrc32c'?: (number);
}

export interface BackupHeader__Output {
  'clusterId': (string);
  'nodeId': (string);
  'index': (number);
  'term': (number);
  'voters': (string)[];
  'learners': (string)[];
  'dataBytes': (number);
  'dataCrc32c': (number);
}
