// Original file: proto/baton/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddNodeRequest as _baton_v1_AddNodeRequest, AddNodeRequest__Output as _baton_v1_AddNodeRequest__Output } from '../../baton/v1/AddNodeRequest.ts';
import type { BackupChunk as _baton_v1_BackupChunk, BackupChunk__Output as _baton_v1_BackupChunk__Output } from '../../baton/v1/BackupChunk.ts';
import type { BackupRequest as _baton_v1_BackupRequest, BackupRequest__Output as _baton_v1_BackupRequest__Output } from '../../baton/v1/BackupRequest.ts';
import type { MembershipResponse as _baton_v1_MembershipResponse, MembershipResponse__Output as _baton_v1_MembershipResponse__Output } from '../../baton/v1/MembershipResponse.ts';
import type { ReadIndexRequest as _baton_v1_ReadIndexRequest, ReadIndexRequest__Output as _baton_v1_ReadIndexRequest__Output } from '../../baton/v1/ReadIndexRequest.ts';
import type { ReadIndexResponse as _baton_v1_ReadIndexResponse, ReadIndexResponse__Output as _baton_v1_ReadIndexResponse__Output } from '../../baton/v1/ReadIndexResponse.ts';
import type { RemoveNodeRequest as _baton_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _baton_v1_RemoveNodeRequest__Output } from '../../baton/v1/RemoveNodeRequest.ts';
import type { StatusRequest as _baton_v1_StatusRequest, StatusRequest__Output as _baton_v1_StatusRequest__Output } from '../../baton/v1/StatusRequest.ts';
import type { StatusResponse as _baton_v1_StatusResponse, StatusResponse__Output as _baton_v1_StatusResponse__Output } from '../../baton/v1/StatusResponse.ts';
import type { TransferLeadershipRequest as _baton_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _baton_v1_TransferLeadershipRequest__Output } from '../../baton/v1/TransferLeadershipRequest.ts';
import type { TransferLeadershipResponse as _baton_v1_TransferLeadershipResponse, TransferLeadershipResponse__Output as _baton_v1_TransferLeadershipResponse__Output } from '../../baton/v1/TransferLeadershipResponse.ts';

export interface AdminClient extends grpc.Client {
  AddNode(argument: _baton_v1_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _baton_v1_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _baton_v1_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _baton_v1_AddNodeRequest, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _baton_v1_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _baton_v1_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _baton_v1_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _baton_v1_AddNodeRequest, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  
  Backup(argument: _baton_v1_BackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_BackupChunk__Output>;
  Backup(argument: _baton_v1_BackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_BackupChunk__Output>;
  backup(argument: _baton_v1_BackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_BackupChunk__Output>;
  backup(argument: _baton_v1_BackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_baton_v1_BackupChunk__Output>;
  
  ReadIndex(argument: _baton_v1_ReadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  ReadIndex(argument: _baton_v1_ReadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  ReadIndex(argument: _baton_v1_ReadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  ReadIndex(argument: _baton_v1_ReadIndexRequest, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  readIndex(argument: _baton_v1_ReadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  readIndex(argument: _baton_v1_ReadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  readIndex(argument: _baton_v1_ReadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  readIndex(argument: _baton_v1_ReadIndexRequest, callback: grpc.requestCallback<_baton_v1_ReadIndexResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveNode(argument: _baton_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _baton_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _baton_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _baton_v1_RemoveNodeRequest, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _baton_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _baton_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _baton_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _baton_v1_RemoveNodeRequest, callback: grpc.requestCallback<_baton_v1_MembershipResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _baton_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _baton_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _baton_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _baton_v1_StatusRequest, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _baton_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _baton_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _baton_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _baton_v1_StatusRequest, callback: grpc.requestCallback<_baton_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  TransferLeadership(argument: _baton_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _baton_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _baton_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _baton_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _baton_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _baton_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _baton_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _baton_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_baton_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  AddNode: grpc.handleUnaryCall<_baton_v1_AddNodeRequest__Output, _baton_v1_MembershipResponse>;
  
  Backup: grpc.handleServerStreamingCall<_baton_v1_BackupRequest__Output, _baton_v1_BackupChunk>;
  
  ReadIndex: grpc.handleUnaryCall<_baton_v1_ReadIndexRequest__Output, _baton_v1_ReadIndexResponse>;
  
  RemoveNode: grpc.handleUnaryCall<_baton_v1_RemoveNodeRequest__Output, _baton_v1_MembershipResponse>;
  
  Status: grpc.handleUnaryCall<_baton_v1_StatusRequest__Output, _baton_v1_StatusResponse>;
  
  TransferLeadership: grpc.handleUnaryCall<_baton_v1_TransferLeadershipRequest__Output, _baton_v1_TransferLeadershipResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  AddNode: MethodDefinition<_baton_v1_AddNodeRequest, _baton_v1_MembershipResponse, _baton_v1_AddNodeRequest__Output, _baton_v1_MembershipResponse__Output>
  Backup: MethodDefinition<_baton_v1_BackupRequest, _baton_v1_BackupChunk, _baton_v1_BackupRequest__Output, _baton_v1_BackupChunk__Output>
  ReadIndex: MethodDefinition<_baton_v1_ReadIndexRequest, _baton_v1_ReadIndexResponse, _baton_v1_ReadIndexRequest__Output, _baton_v1_ReadIndexResponse__Output>
  RemoveNode: MethodDefinition<_baton_v1_RemoveNodeRequest, _baton_v1_MembershipResponse, _baton_v1_RemoveNodeRequest__Output, _baton_v1_MembershipResponse__Output>
  Status: MethodDefinition<_baton_v1_StatusRequest, _baton_v1_StatusResponse, _baton_v1_StatusRequest__Output, _baton_v1_StatusResponse__Output>
  TransferLeadership: MethodDefinition<_baton_v1_TransferLeadershipRequest, _baton_v1_TransferLeadershipResponse, _baton_v1_TransferLeadershipRequest__Output, _baton_v1_TransferLeadershipResponse__Output>
}
