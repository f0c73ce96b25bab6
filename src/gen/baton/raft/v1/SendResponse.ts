// Original file: proto/baton/raft/v1/raft.proto


export interface SendResponse {
}

export interface SendResponse__Output {
}
