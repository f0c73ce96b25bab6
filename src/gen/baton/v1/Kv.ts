// Original file: proto/baton/v1/kv.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetRequest as _baton_v1_GetRequest, GetRequest__Output as _baton_v1_GetRequest__Output } from '../../baton/v1/GetRequest.ts';
import type { GetResponse as _baton_v1_GetResponse, GetResponse__Output as _baton_v1_GetResponse__Output } from '../../baton/v1/GetResponse.ts';
import type { PutRequest as _baton_v1_PutRequest, PutRequest__Output as _baton_v1_PutRequest__Output } from '../../baton/v1/PutRequest.ts';
import type { PutResponse as _baton_v1_PutResponse, PutResponse__Output as _baton_v1_PutResponse__Output } from '../../baton/v1/PutResponse.ts';

export interface KvClient extends grpc.Client {
  Get(argument: _baton_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _baton_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _baton_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _baton_v1_GetRequest, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _baton_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _baton_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _baton_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _baton_v1_GetRequest, callback: grpc.requestCallback<_baton_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  
  Put(argument: _baton_v1_PutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _baton_v1_PutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _baton_v1_PutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _baton_v1_PutRequest, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _baton_v1_PutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _baton_v1_PutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _baton_v1_PutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _baton_v1_PutRequest, callback: grpc.requestCallback<_baton_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface KvHandlers extends grpc.UntypedServiceImplementation {
  Get: grpc.handleUnaryCall<_baton_v1_GetRequest__Output, _baton_v1_GetResponse>;
  
  Put: grpc.handleUnaryCall<_baton_v1_PutRequest__Output, _baton_v1_PutResponse>;
  
}

export interface KvDefinition extends grpc.ServiceDefinition {
  Get: MethodDefinition<_baton_v1_GetRequest, _baton_v1_GetResponse, _baton_v1_GetRequest__Output, _baton_v1_GetResponse__Output>
  Put: MethodDefinition<_baton_v1_PutRequest, _baton_v1_PutResponse, _baton_v1_PutRequest__Output, _baton_v1_PutResponse__Output>
}
