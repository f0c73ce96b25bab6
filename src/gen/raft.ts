import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ConfState as _baton_raft_v1_ConfState, ConfState__Output as _baton_raft_v1_ConfState__Output } from './baton/raft/v1/ConfState.ts';
import type { Entry as _baton_raft_v1_Entry, Entry__Output as _baton_raft_v1_Entry__Output } from './baton/raft/v1/Entry.ts';
import type { InstallSnapshotResponse as _baton_raft_v1_InstallSnapshotResponse, InstallSnapshotResponse__Output as _baton_raft_v1_InstallSnapshotResponse__Output } from './baton/raft/v1/InstallSnapshotResponse.ts';
import type { Message as _baton_raft_v1_Message, Message__Output as _baton_raft_v1_Message__Output } from './baton/raft/v1/Message.ts';
import type { MessageBatch as _baton_raft_v1_MessageBatch, MessageBatch__Output as _baton_raft_v1_MessageBatch__Output } from './baton/raft/v1/MessageBatch.ts';
import type { RaftPeerClient as _baton_raft_v1_RaftPeerClient, RaftPeerDefinition as _baton_raft_v1_RaftPeerDefinition } from './baton/raft/v1/RaftPeer.ts';
import type { SendResponse as _baton_raft_v1_SendResponse, SendResponse__Output as _baton_raft_v1_SendResponse__Output } from './baton/raft/v1/SendResponse.ts';
import type { SnapshotChunk as _baton_raft_v1_SnapshotChunk, SnapshotChunk__Output as _baton_raft_v1_SnapshotChunk__Output } from './baton/raft/v1/SnapshotChunk.ts';
import type { SnapshotHeader as _baton_raft_v1_SnapshotHeader, SnapshotHeader__Output as _baton_raft_v1_SnapshotHeader__Output } from './baton/raft/v1/SnapshotHeader.ts';
import type { SnapshotMeta as _baton_raft_v1_SnapshotMeta, SnapshotMeta__Output as _baton_raft_v1_SnapshotMeta__Output } from './baton/raft/v1/SnapshotMeta.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  baton: {
    raft: {
      v1: {
        ConfState: MessageTypeDefinition<_baton_raft_v1_ConfState, _baton_raft_v1_ConfState__Output>
        Entry: MessageTypeDefinition<_baton_raft_v1_Entry, _baton_raft_v1_Entry__Output>
        EntryKind: EnumTypeDefinition
        InstallSnapshotResponse: MessageTypeDefinition<_baton_raft_v1_InstallSnapshotResponse, _baton_raft_v1_InstallSnapshotResponse__Output>
        Message: MessageTypeDefinition<_baton_raft_v1_Message, _baton_raft_v1_Message__Output>
        MessageBatch: MessageTypeDefinition<_baton_raft_v1_MessageBatch, _baton_raft_v1_MessageBatch__Output>
        MessageType: EnumTypeDefinition
        RaftPeer: SubtypeConstructor<typeof grpc.Client, _baton_raft_v1_RaftPeerClient> & { service: _baton_raft_v1_RaftPeerDefinition }
        SendResponse: MessageTypeDefinition<_baton_raft_v1_SendResponse, _baton_raft_v1_SendResponse__Output>
        SnapshotChunk: MessageTypeDefinition<_baton_raft_v1_SnapshotChunk, _baton_raft_v1_SnapshotChunk__Output>
        SnapshotHeader: MessageTypeDefinition<_baton_raft_v1_SnapshotHeader, _baton_raft_v1_SnapshotHeader__Output>
        SnapshotMeta: MessageTypeDefinition<_baton_raft_v1_SnapshotMeta, _baton_raft_v1_SnapshotMeta__Output>
      }
    }
  }
}

