// Original file: proto/baton/v1/workflow.proto


export interface FailTaskRequest {
  'taskId'?: (string);
  'attempt'?: (number);
  'errorCode'?: (string);
  'errorMessage'?: (string);
  'nonRetryable'?: (boolean);
  'detailsJson'?: (string);
}

export interface FailTaskRequest__Output {
  'taskId': (string);
  'attempt': (number);
  'errorCode': (string);
  'errorMessage': (string);
  'nonRetryable': (boolean);
  'detailsJson': (string);
}
