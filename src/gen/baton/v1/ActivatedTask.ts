// Original file: proto/baton/v1/workflow.proto

import type { Long } from '@grpc/proto-loader';

export interface ActivatedTask {
  'taskId'?: (string);
  'attempt'?: (number);
  'workflowId'?: (string);
  'ref'?: (string);
  'taskType'?: (string);
  'inputJson'?: (string);
  'leaseExpiresMs'?: (number | string | Long);
}

export interface ActivatedTask__Output {
  'taskId': (string);
  'attempt': (number);
  'workflowId': (string);
  'ref': (string);
  'taskType': (string);
  'inputJson': (string);
  'leaseExpiresMs': (number);
}
