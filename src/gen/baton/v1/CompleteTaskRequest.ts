// Original file: proto/baton/v1/workflow.proto


export interface CompleteTaskRequest {
  'taskId'?: (string);
  'attempt'?: (number);
  'outputJson'?: (string);
}

export interface CompleteTaskRequest__Output {
  'taskId': (string);
  'attempt': (number);
  'outputJson': (string);
}
