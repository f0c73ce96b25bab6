// Original file: proto/baton/v1/workflow.proto


export interface SignalRequest {
  'workflowId'?: (string);
  'name'?: (string);
  'payloadJson'?: (string);
  'signalId'?: (string);
}

export interface SignalRequest__Output {
  'workflowId': (string);
  'name': (string);
  'payloadJson': (string);
  'signalId': (string);
}
