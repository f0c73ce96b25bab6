// Original file: proto/baton/v1/admin.proto


export interface BackupRequest {
}

export interface BackupRequest__Output {
}
