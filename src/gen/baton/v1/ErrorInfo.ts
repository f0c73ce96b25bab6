// Original file: proto/baton/v1/workflow.proto


export interface ErrorInfo {
  'code'?: (string);
  'message'?: (string);
  'ref'?: (string);
  'detailsJson'?: (string);
}

export interface ErrorInfo__Output {
  'code': (string);
  'message': (string);
  'ref': (string);
  'detailsJson': (string);
}
