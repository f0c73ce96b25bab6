// Original file: proto/baton/v1/admin.proto


export interface AddNodeRequest {
  'id'?: (string);
  'address'?: (string);
}

export interface AddNodeRequest__Output {
  'id': (string);
  'address': (string);
}
