// Original file: proto/baton/v1/workflow.proto


export interface StartWorkflowRequest {
  'definitionName'?: (string);
  'version'?: (number);
  'inputJson'?: (string);
  'workflowId'?: (string);
  'businessKey'?: (string);
  'reusePolicy'?: (string);
}

export interface StartWorkflowRequest__Output {
  'definitionName': (string);
  'version': (number);
  'inputJson': (string);
  'workflowId': (string);
  'businessKey': (string);
  'reusePolicy': (string);
}
