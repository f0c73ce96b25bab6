/**
 * The one place where errors become gRPC statuses. Every BatonError code has exactly one gRPC
 * status; anything else is INTERNAL. Errors carry the leader hint in trailing metadata so a client
 * can retry on the leader at once.
 */
import * as grpc from '@grpc/grpc-js';
import { BatonError } from '../lib/index.ts';
import type { ErrorCode } from '../lib/index.ts';

export const LEADER_METADATA_KEY = 'baton-leader';
export const LEADER_ADDRESS_METADATA_KEY = 'baton-leader-address';
/** How many times a request was forwarded already; a node forwards only while it is below the limit. */
export const HOPS_METADATA_KEY = 'baton-hops';

const STATUS_BY_CODE: Readonly<Record<ErrorCode, grpc.status>> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  ABORTED: grpc.status.ABORTED,
  INTERNAL: grpc.status.INTERNAL,
  DATA_LOSS: grpc.status.DATA_LOSS,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  CANCELLED: grpc.status.CANCELLED,
};

export function grpcStatusOf(code: ErrorCode): grpc.status {
  return STATUS_BY_CODE[code];
}

export interface LeaderHint {
  readonly id: string | null;
  readonly address: string | null;
}

/** An error returned by the leader to a forwarded call: passed back to the client unchanged. */
export class ForwardedCallError extends Error {
  override readonly name = 'ForwardedCallError';
  readonly serviceError: grpc.ServiceError;

  constructor(serviceError: grpc.ServiceError) {
    super(serviceError.details);
    this.serviceError = serviceError;
  }
}

export function toServiceError(error: unknown, hint: LeaderHint): Partial<grpc.StatusObject> {
  if (error instanceof ForwardedCallError) {
    const forwarded = error.serviceError;
    return { code: forwarded.code, details: forwarded.details, metadata: forwarded.metadata };
  }
  const metadata = new grpc.Metadata();
  if (hint.id !== null) metadata.set(LEADER_METADATA_KEY, hint.id);
  if (hint.address !== null) metadata.set(LEADER_ADDRESS_METADATA_KEY, hint.address);
  if (error instanceof BatonError) {
    return { code: grpcStatusOf(error.code), details: error.message, metadata };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpc.status.INTERNAL, details: `internal error: ${message}`, metadata };
}

export function statusName(code: grpc.status): string {
  return grpc.status[code] ?? String(code);
}
