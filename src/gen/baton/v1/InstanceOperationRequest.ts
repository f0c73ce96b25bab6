// Original file: proto/baton/v1/workflow.proto


export interface InstanceOperationRequest {
  'workflowId'?: (string);
  'reason'?: (string);
}

export interface InstanceOperationRequest__Output {
  'workflowId': (string);
  'reason': (string);
}
