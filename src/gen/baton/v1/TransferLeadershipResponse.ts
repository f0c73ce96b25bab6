// Original file: proto/baton/v1/admin.proto


export interface TransferLeadershipResponse {
  'leaderId'?: (string);
}

export interface TransferLeadershipResponse__Output {
  'leaderId': (string);
}
