// Original file: proto/baton/v1/workflow.proto


export interface HeartbeatTaskRequest {
  'taskId'?: (string);
  'attempt'?: (number);
}

export interface HeartbeatTaskRequest__Output {
  'taskId': (string);
  'attempt': (number);
}
