// Original file: proto/baton/v1/kv.proto


export interface GetRequest {
  'key'?: (string);
  'stale'?: (boolean);
}

export interface GetRequest__Output {
  'key': (string);
  'stale': (boolean);
}
