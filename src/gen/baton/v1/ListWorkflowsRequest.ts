// Original file: proto/baton/v1/workflow.proto

import type { Long } from '@grpc/proto-loader';

export interface ListWorkflowsRequest {
  'definitionName'?: (string);
  'status'?: (string);
  'businessKey'?: (string);
  'createdFromMs'?: (number | string | Long);
  'createdToMs'?: (number | string | Long);
  'pageSize'?: (number);
  'pageToken'?: (string);
  'stale'?: (boolean);
}

export interface ListWorkflowsRequest__Output {
  'definitionName': (string);
  'status': (string);
  'businessKey': (string);
  'createdFromMs': (number);
  'createdToMs': (number);
  'pageSize': (number);
  'pageToken': (string);
  'stale': (boolean);
}
