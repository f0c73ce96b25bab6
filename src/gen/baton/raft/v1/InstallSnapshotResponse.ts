// Original file: proto/baton/raft/v1/raft.proto


export interface InstallSnapshotResponse {
}

export interface InstallSnapshotResponse__Output {
}
