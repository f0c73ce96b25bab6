// Original file: proto/baton/v1/workflow.proto


export interface GetDefinitionRequest {
  'name'?: (string);
  'version'?: (number);
  'stale'?: (boolean);
}

export interface GetDefinitionRequest__Output {
  'name': (string);
  'version': (number);
  'stale': (boolean);
}
