// Original file: proto/baton/v1/workflow.proto


export interface CurrentTask {
  'stepId'?: (string);
  'ref'?: (string);
  'kind'?: (string);
  'taskId'?: (string);
  'status'?: (string);
  'attempt'?: (number);
  'workerId'?: (string);
  'signalName'?: (string);
  'childWorkflowId'?: (string);
}

export interface CurrentTask__Output {
  'stepId': (string);
  'ref': (string);
  'kind': (string);
  'taskId': (string);
  'status': (string);
  'attempt': (number);
  'workerId': (string);
  'signalName': (string);
  'childWorkflowId': (string);
}
