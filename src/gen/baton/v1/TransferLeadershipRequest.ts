// Original file: proto/baton/v1/admin.proto


export interface TransferLeadershipRequest {
  'to'?: (string);
}

export interface TransferLeadershipRequest__Output {
  'to': (string);
}
