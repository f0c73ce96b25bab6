// Original file: proto/baton/v1/workflow.proto


export interface ListDefinitionsRequest {
  'afterName'?: (string);
  'pageSize'?: (number);
  'stale'?: (boolean);
}

export interface ListDefinitionsRequest__Output {
  'afterName': (string);
  'pageSize': (number);
  'stale': (boolean);
}
