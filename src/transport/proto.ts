/**
 * Loads Baton's protobuf contracts with one set of options, so every service and client decodes
 * the same way: 64-bit integers as JS numbers (indexes and terms stay below 2^53), enums as
 * their names, defaults filled in, oneofs named.
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import type { ProtoGrpcType } from '../gen/raft.ts';

export const PROTO_ROOT = fileURLToPath(new URL('../../proto', import.meta.url));

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/** Loads one or more files relative to proto/ (e.g. "baton/raft/v1/raft.proto"). */
export function loadProtoPackage(...files: string[]): grpc.GrpcObject {
  const definition = protoLoader.loadSync(files, PROTO_LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition);
}

let raftProto: ProtoGrpcType['baton']['raft']['v1'] | null = null;

/** raft.proto's package (services, messages, enums), loaded once. */
export function raftPackage(): ProtoGrpcType['baton']['raft']['v1'] {
  raftProto ??= (loadProtoPackage('baton/raft/v1/raft.proto') as unknown as ProtoGrpcType).baton
    .raft.v1;
  return raftProto;
}
