// Original file: proto/baton/v1/workflow.proto


export interface StartWorkflowResponse {
  'workflowId'?: (string);
  'status'?: (string);
  'existing'?: (boolean);
}

export interface StartWorkflowResponse__Output {
  'workflowId': (string);
  'status': (string);
  'existing': (boolean);
}
