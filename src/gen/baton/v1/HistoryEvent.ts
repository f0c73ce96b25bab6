// Original file: proto/baton/v1/workflow.proto

import type { Long } from '@grpc/proto-loader';

export interface HistoryEvent {
  'seq'?: (number | string | Long);
  'type'?: (string);
  'atMs'?: (number | string | Long);
  'summary'?: (string);
  'eventJson'?: (string);
}

export interface HistoryEvent__Output {
  'seq': (number);
  'type': (string);
  'atMs': (number);
  'summary': (string);
  'eventJson': (string);
}
