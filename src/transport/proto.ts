/**
 * Loads Baton's protobuf contracts with one set of options, so every service and client decodes
 * the same way: 64-bit integers as JS numbers (indexes and terms stay below 2^53), enums as
 * their names, defaults filled in, oneofs named.
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';

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
