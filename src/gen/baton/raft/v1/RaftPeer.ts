// Original file: proto/baton/raft/v1/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { InstallSnapshotResponse as _baton_raft_v1_InstallSnapshotResponse, InstallSnapshotResponse__Output as _baton_raft_v1_InstallSnapshotResponse__Output } from '../../../baton/raft/v1/InstallSnapshotResponse.ts';
import type { MessageBatch as _baton_raft_v1_MessageBatch, MessageBatch__Output as _baton_raft_v1_MessageBatch__Output } from '../../../baton/raft/v1/MessageBatch.ts';
import type { SendResponse as _baton_raft_v1_SendResponse, SendResponse__Output as _baton_raft_v1_SendResponse__Output } from '../../../baton/raft/v1/SendResponse.ts';
import type { SnapshotChunk as _baton_raft_v1_SnapshotChunk, SnapshotChunk__Output as _baton_raft_v1_SnapshotChunk__Output } from '../../../baton/raft/v1/SnapshotChunk.ts';

export interface RaftPeerClient extends grpc.Client {
  InstallSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  InstallSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  InstallSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  InstallSnapshot(callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  installSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  installSnapshot(callback: grpc.requestCallback<_baton_raft_v1_InstallSnapshotResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_SnapshotChunk>;
  
  Send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  Send(metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  Send(options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  Send(callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  send(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  send(metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  send(options: grpc.CallOptions, callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  send(callback: grpc.requestCallback<_baton_raft_v1_SendResponse__Output>): grpc.ClientWritableStream<_baton_raft_v1_MessageBatch>;
  
}

export interface RaftPeerHandlers extends grpc.UntypedServiceImplementation {
  InstallSnapshot: grpc.handleClientStreamingCall<_baton_raft_v1_SnapshotChunk__Output, _baton_raft_v1_InstallSnapshotResponse>;
  
  Send: grpc.handleClientStreamingCall<_baton_raft_v1_MessageBatch__Output, _baton_raft_v1_SendResponse>;
  
}

export interface RaftPeerDefinition extends grpc.ServiceDefinition {
  InstallSnapshot: MethodDefinition<_baton_raft_v1_SnapshotChunk, _baton_raft_v1_InstallSnapshotResponse, _baton_raft_v1_SnapshotChunk__Output, _baton_raft_v1_InstallSnapshotResponse__Output>
  Send: MethodDefinition<_baton_raft_v1_MessageBatch, _baton_raft_v1_SendResponse, _baton_raft_v1_MessageBatch__Output, _baton_raft_v1_SendResponse__Output>
}
