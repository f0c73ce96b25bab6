// Original file: proto/baton/v1/workflow.proto


export interface TaskAck {
  'taskId'?: (string);
  'duplicate'?: (boolean);
}

export interface TaskAck__Output {
  'taskId': (string);
  'duplicate': (boolean);
}
