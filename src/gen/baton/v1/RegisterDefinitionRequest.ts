// Original file: proto/baton/v1/workflow.proto


export interface RegisterDefinitionRequest {
  'source'?: (string);
  'format'?: (string);
}

export interface RegisterDefinitionRequest__Output {
  'source': (string);
  'format': (string);
}
