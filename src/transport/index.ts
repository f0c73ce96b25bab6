/**
 * The peer transport's public face. The replica builds one transport per node:
 * `GrpcTransport` in production (registered on the node's shared gRPC server), `MemoryTransport`
 * in in-process tests.
 */
export type { Transport, TransportHandlers } from './types.ts';
export { GrpcTransport, raftPeerClientConstructor, raftPeerService } from './grpc-transport.ts';
export type { GrpcTransportOptions } from './grpc-transport.ts';
export { PEER_CHANNEL_OPTIONS } from './grpc-peer.ts';
export { MemoryTransport, MemoryTransportNetwork } from './memory-transport.ts';
export type { MemoryTransportOptions } from './memory-transport.ts';
export { DEFAULT_TRANSPORT_LIMITS, resolveTransportLimits } from './limits.ts';
export type { TransportLimits } from './limits.ts';
export type {
  DropReason,
  PeerTransportStats,
  TransportMetrics,
  TransportStats,
  TransportStatsSource,
} from './stats.ts';
export {
  InboundRejectedError,
  InvalidPeerAddressError,
  InvalidTransportLimitsError,
  MalformedMessageError,
  SnapshotTransferError,
} from './errors.ts';
export type { InboundRejectReason } from './errors.ts';
export { loadProtoPackage, PROTO_LOADER_OPTIONS, PROTO_ROOT } from './proto.ts';
