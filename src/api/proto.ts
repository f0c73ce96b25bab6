/** The client-facing services' definitions, loaded once with the shared loader options. */
import type { ProtoGrpcType as AdminProto } from '../gen/admin.ts';
import type { ProtoGrpcType as KvProto } from '../gen/kv.ts';
import { loadProtoPackage } from '../transport/proto.ts';

type ApiProto = AdminProto & KvProto;

let loaded: ApiProto['baton']['v1'] | null = null;

export function apiProto(): ApiProto['baton']['v1'] {
  loaded ??= (loadProtoPackage('baton/v1/admin.proto', 'baton/v1/kv.proto') as unknown as ApiProto)
    .baton.v1;
  return loaded;
}
