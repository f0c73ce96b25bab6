// Original file: proto/baton/v1/workflow.proto

import type { Long } from '@grpc/proto-loader';

export interface WorkflowSummary {
  'workflowId'?: (string);
  'definitionName'?: (string);
  'definitionVersion'?: (number);
  'businessKey'?: (string);
  'status'?: (string);
  'createdMs'?: (number | string | Long);
  'closedMs'?: (number | string | Long);
}

export interface WorkflowSummary__Output {
  'workflowId': (string);
  'definitionName': (string);
  'definitionVersion': (number);
  'businessKey': (string);
  'status': (string);
  'createdMs': (number);
  'closedMs': (number);
}
