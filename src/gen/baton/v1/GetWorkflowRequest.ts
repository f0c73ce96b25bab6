// Original file: proto/baton/v1/workflow.proto


export interface GetWorkflowRequest {
  'workflowId'?: (string);
  'includeHistory'?: (boolean);
  'historyPageSize'?: (number);
  'stale'?: (boolean);
}

export interface GetWorkflowRequest__Output {
  'workflowId': (string);
  'includeHistory': (boolean);
  'historyPageSize': (number);
  'stale': (boolean);
}
