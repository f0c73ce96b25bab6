/**
 * The node's client-facing contracts (proto/baton/v1/kv.proto and admin.proto) as plain types
 * and per-method codecs, loaded once with the repository's shared proto-loader options
 * (64-bit integers as numbers, defaults filled in).
 */
import type * as grpc from '@grpc/grpc-js';
import { loadProtoPackage } from '../../src/transport/proto.ts';

export interface PutRequest {
  key: string;
  value: Uint8Array;
}
export interface PutResponse {
  index: number;
}
export interface GetRequest {
  key: string;
  stale: boolean;
}
export interface GetResponse {
  found: boolean;
  value: Uint8Array;
  index: number;
}
export interface Member {
  id: string;
  address: string;
  voter: boolean;
  matchIndex: number;
}
export interface StatusResponse {
  clusterId: string;
  nodeId: string;
  term: number;
  role: string;
  leaderId: string;
  leaderAddress: string;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  members: Member[];
}
export interface AddNodeRequest {
  id: string;
  address: string;
}
export interface RemoveNodeRequest {
  id: string;
}
export interface MembershipResponse {
  members: Member[];
  index: number;
}
export interface TransferLeadershipRequest {
  to: string;
}
export interface TransferLeadershipResponse {
  leaderId: string;
}

/** One RPC: its path and how to turn its messages into bytes and back. */
export interface MethodCodec<Request, Response> {
  readonly path: string;
  readonly serialize: (request: Request) => Buffer;
  readonly deserialize: (bytes: Buffer) => Response;
}

export interface ApiMethods {
  put: MethodCodec<PutRequest, PutResponse>;
  get: MethodCodec<GetRequest, GetResponse>;
  status: MethodCodec<Record<string, never>, StatusResponse>;
  addNode: MethodCodec<AddNodeRequest, MembershipResponse>;
  removeNode: MethodCodec<RemoveNodeRequest, MembershipResponse>;
  transferLeadership: MethodCodec<TransferLeadershipRequest, TransferLeadershipResponse>;
}

function serviceDefinition(root: grpc.GrpcObject, name: string): grpc.ServiceDefinition {
  const batonPackage = (root['baton'] as grpc.GrpcObject)['v1'] as grpc.GrpcObject;
  const constructor = batonPackage[name] as grpc.ServiceClientConstructor | undefined;
  if (constructor === undefined) throw new Error(`proto/baton/v1 defines no service ${name}`);
  return constructor.service;
}

function codec<Request, Response>(
  service: grpc.ServiceDefinition,
  method: string,
): MethodCodec<Request, Response> {
  const definition = service[method] as grpc.MethodDefinition<Request, Response> | undefined;
  if (definition === undefined) throw new Error(`the service defines no method ${method}`);
  return {
    path: definition.path,
    serialize: definition.requestSerialize,
    deserialize: definition.responseDeserialize,
  };
}

let methods: ApiMethods | undefined;

/** The codecs for every Kv and Admin method, loaded on first use. */
export function apiMethods(): ApiMethods {
  if (methods !== undefined) return methods;
  const root = loadProtoPackage('baton/v1/kv.proto', 'baton/v1/admin.proto');
  const kv = serviceDefinition(root, 'Kv');
  const admin = serviceDefinition(root, 'Admin');
  methods = {
    put: codec(kv, 'Put'),
    get: codec(kv, 'Get'),
    status: codec(admin, 'Status'),
    addNode: codec(admin, 'AddNode'),
    removeNode: codec(admin, 'RemoveNode'),
    transferLeadership: codec(admin, 'TransferLeadership'),
  };
  return methods;
}
