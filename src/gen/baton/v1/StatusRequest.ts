// Original file: proto/baton/v1/admin.proto


export interface StatusRequest {
}

export interface StatusRequest__Output {
}
