// Original file: proto/baton/v1/workflow.proto


export interface ActivateTasksRequest {
  'taskType'?: (string);
  'workerId'?: (string);
  'maxTasks'?: (number);
  'timeoutMs'?: (number);
}

export interface ActivateTasksRequest__Output {
  'taskType': (string);
  'workerId': (string);
  'maxTasks': (number);
  'timeoutMs': (number);
}
