import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GetRequest as _baton_v1_GetRequest, GetRequest__Output as _baton_v1_GetRequest__Output } from './baton/v1/GetRequest.ts';
import type { GetResponse as _baton_v1_GetResponse, GetResponse__Output as _baton_v1_GetResponse__Output } from './baton/v1/GetResponse.ts';
import type { KvClient as _baton_v1_KvClient, KvDefinition as _baton_v1_KvDefinition } from './baton/v1/Kv.ts';
import type { PutRequest as _baton_v1_PutRequest, PutRequest__Output as _baton_v1_PutRequest__Output } from './baton/v1/PutRequest.ts';
import type { PutResponse as _baton_v1_PutResponse, PutResponse__Output as _baton_v1_PutResponse__Output } from './baton/v1/PutResponse.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  baton: {
    v1: {
      GetRequest: MessageTypeDefinition<_baton_v1_GetRequest, _baton_v1_GetRequest__Output>
      GetResponse: MessageTypeDefinition<_baton_v1_GetResponse, _baton_v1_GetResponse__Output>
      Kv: SubtypeConstructor<typeof grpc.Client, _baton_v1_KvClient> & { service: _baton_v1_KvDefinition }
      PutRequest: MessageTypeDefinition<_baton_v1_PutRequest, _baton_v1_PutRequest__Output>
      PutResponse: MessageTypeDefinition<_baton_v1_PutResponse, _baton_v1_PutResponse__Output>
    }
  }
}

