// Original file: proto/baton/v1/workflow.proto


export interface OperationResponse {
  'workflowId'?: (string);
  'status'?: (string);
  'delivered'?: (boolean);
  'duplicate'?: (boolean);
}

export interface OperationResponse__Output {
  'workflowId': (string);
  'status': (string);
  'delivered': (boolean);
  'duplicate': (boolean);
}
