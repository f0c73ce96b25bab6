// Original file: proto/baton/v1/workflow.proto


export interface RegisterDefinitionResponse {
  'name'?: (string);
  'version'?: (number);
  'created'?: (boolean);
}

export interface RegisterDefinitionResponse__Output {
  'name': (string);
  'version': (number);
  'created': (boolean);
}
