import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddNodeRequest as _baton_v1_AddNodeRequest, AddNodeRequest__Output as _baton_v1_AddNodeRequest__Output } from './baton/v1/AddNodeRequest.ts';
import type { AdminClient as _baton_v1_AdminClient, AdminDefinition as _baton_v1_AdminDefinition } from './baton/v1/Admin.ts';
import type { BackupChunk as _baton_v1_BackupChunk, BackupChunk__Output as _baton_v1_BackupChunk__Output } from './baton/v1/BackupChunk.ts';
import type { BackupHeader as _baton_v1_BackupHeader, BackupHeader__Output as _baton_v1_BackupHeader__Output } from './baton/v1/BackupHeader.ts';
import type { BackupRequest as _baton_v1_BackupRequest, BackupRequest__Output as _baton_v1_BackupRequest__Output } from './baton/v1/BackupRequest.ts';
import type { Member as _baton_v1_Member, Member__Output as _baton_v1_Member__Output } from './baton/v1/Member.ts';
import type { MembershipResponse as _baton_v1_MembershipResponse, MembershipResponse__Output as _baton_v1_MembershipResponse__Output } from './baton/v1/MembershipResponse.ts';
import type { ReadIndexRequest as _baton_v1_ReadIndexRequest, ReadIndexRequest__Output as _baton_v1_ReadIndexRequest__Output } from './baton/v1/ReadIndexRequest.ts';
import type { ReadIndexResponse as _baton_v1_ReadIndexResponse, ReadIndexResponse__Output as _baton_v1_ReadIndexResponse__Output } from './baton/v1/ReadIndexResponse.ts';
import type { RemoveNodeRequest as _baton_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _baton_v1_RemoveNodeRequest__Output } from './baton/v1/RemoveNodeRequest.ts';
import type { StatusRequest as _baton_v1_StatusRequest, StatusRequest__Output as _baton_v1_StatusRequest__Output } from './baton/v1/StatusRequest.ts';
import type { StatusResponse as _baton_v1_StatusResponse, StatusResponse__Output as _baton_v1_StatusResponse__Output } from './baton/v1/StatusResponse.ts';
import type { TransferLeadershipRequest as _baton_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _baton_v1_TransferLeadershipRequest__Output } from './baton/v1/TransferLeadershipRequest.ts';
import type { TransferLeadershipResponse as _baton_v1_TransferLeadershipResponse, TransferLeadershipResponse__Output as _baton_v1_TransferLeadershipResponse__Output } from './baton/v1/TransferLeadershipResponse.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  baton: {
    v1: {
      AddNodeRequest: MessageTypeDefinition<_baton_v1_AddNodeRequest, _baton_v1_AddNodeRequest__Output>
      Admin: SubtypeConstructor<typeof grpc.Client, _baton_v1_AdminClient> & { service: _baton_v1_AdminDefinition }
      BackupChunk: MessageTypeDefinition<_baton_v1_BackupChunk, _baton_v1_BackupChunk__Output>
      BackupHeader: MessageTypeDefinition<_baton_v1_BackupHeader, _baton_v1_BackupHeader__Output>
      BackupRequest: MessageTypeDefinition<_baton_v1_BackupRequest, _baton_v1_BackupRequest__Output>
      Member: MessageTypeDefinition<_baton_v1_Member, _baton_v1_Member__Output>
      MembershipResponse: MessageTypeDefinition<_baton_v1_MembershipResponse, _baton_v1_MembershipResponse__Output>
      ReadIndexRequest: MessageTypeDefinition<_baton_v1_ReadIndexRequest, _baton_v1_ReadIndexRequest__Output>
      ReadIndexResponse: MessageTypeDefinition<_baton_v1_ReadIndexResponse, _baton_v1_ReadIndexResponse__Output>
      RemoveNodeRequest: MessageTypeDefinition<_baton_v1_RemoveNodeRequest, _baton_v1_RemoveNodeRequest__Output>
      StatusRequest: MessageTypeDefinition<_baton_v1_StatusRequest, _baton_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_baton_v1_StatusResponse, _baton_v1_StatusResponse__Output>
      TransferLeadershipRequest: MessageTypeDefinition<_baton_v1_TransferLeadershipRequest, _baton_v1_TransferLeadershipRequest__Output>
      TransferLeadershipResponse: MessageTypeDefinition<_baton_v1_TransferLeadershipResponse, _baton_v1_TransferLeadershipResponse__Output>
    }
  }
}

