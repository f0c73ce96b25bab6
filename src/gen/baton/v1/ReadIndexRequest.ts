// Original file: proto/baton/v1/admin.proto


export interface ReadIndexRequest {
}

export interface ReadIndexRequest__Output {
}
