/**
 * Forwards a follower's request to the leader over a cached gRPC client per leader address. The
 * hop count travels in metadata so a request is forwarded at most api.maxForwardHops times: two
 * nodes that each believe the other leads answer UNAVAILABLE instead of looping.
 */
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../gen/baton/v1/Admin.ts';
import type { KvClient } from '../gen/baton/v1/Kv.ts';
import type { NodeId } from '../lib/index.ts';
import { NotLeaderError } from '../raft/errors.ts';
import { ForwardedCallError, HOPS_METADATA_KEY, LEADER_ADDRESS_METADATA_KEY } from './status.ts';
import { apiProto } from './proto.ts';

/**
 * A leader that crashed and came back must be reachable again within a failover's time, not
 * after grpc-js's default reconnect backoff (which grows to two minutes).
 */
export const FAST_RECONNECT_CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.enable_channelz': 0,
} as const;

interface LeaderClients {
  readonly kv: KvClient;
  readonly admin: AdminClient;
}

export interface ForwarderOptions {
  readonly maxClients: number;
  readonly timeoutMs: number;
  readonly maxMessageBytes: number;
}

/** Starts one unary call with the given metadata and options (binds the request and the client). */
export type UnaryInvoker<Res> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => grpc.ClientUnaryCall;

export class LeaderForwarder {
  /** Map order is recency order: the least recently used client is evicted first. */
  private readonly clients = new Map<string, LeaderClients>();
  private readonly options: ForwarderOptions;

  constructor(options: ForwarderOptions) {
    this.options = options;
  }

  kv(address: string): KvClient {
    return this.clientsFor(address).kv;
  }

  admin(address: string): AdminClient {
    return this.clientsFor(address).admin;
  }

  /** Calls `method` on the leader with the hop count raised by one; errors pass back unchanged. */
  call<Res>(
    invoke: UnaryInvoker<Res>,
    hops: number,
    callerDeadline: grpc.Deadline | undefined,
  ): Promise<Res> {
    const metadata = new grpc.Metadata();
    metadata.set(HOPS_METADATA_KEY, String(hops + 1));
    const ownDeadline = Date.now() + this.options.timeoutMs;
    const deadline =
      callerDeadline === undefined || callerDeadline === Infinity
        ? ownDeadline
        : Math.min(Number(callerDeadline), ownDeadline);
    return new Promise<Res>((resolve, reject) => {
      invoke(metadata, { deadline }, (error, response) => {
        if (error !== null) reject(new ForwardedCallError(error));
        else if (response === undefined) reject(new Error('leader returned an empty response'));
        else resolve(response);
      });
    });
  }

  close(): void {
    for (const clients of this.clients.values()) {
      clients.kv.close();
      clients.admin.close();
    }
    this.clients.clear();
  }

  private clientsFor(address: string): LeaderClients {
    const cached = this.clients.get(address);
    if (cached !== undefined) {
      this.clients.delete(address);
      this.clients.set(address, cached);
      return cached;
    }
    if (this.clients.size >= this.options.maxClients) {
      const [oldestAddress, oldest] = this.clients.entries().next().value as [
        string,
        LeaderClients,
      ];
      this.clients.delete(oldestAddress);
      oldest.kv.close();
      oldest.admin.close();
    }
    const proto = apiProto();
    const credentials = grpc.credentials.createInsecure();
    const channelOptions = {
      'grpc.max_receive_message_length': this.options.maxMessageBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      ...FAST_RECONNECT_CHANNEL_OPTIONS,
    };
    const clients = {
      kv: new proto.Kv(address, credentials, channelOptions),
      admin: new proto.Admin(address, credentials, channelOptions),
    };
    this.clients.set(address, clients);
    return clients;
  }
}

/** How many times a request was already forwarded (0 when it came straight from a client). */
export function hopsOf(call: grpc.ServerUnaryCall<unknown, unknown>): number {
  const raw = call.metadata.get(HOPS_METADATA_KEY)[0];
  const hops = typeof raw === 'string' ? Number.parseInt(raw, 10) : 0;
  return Number.isFinite(hops) && hops >= 0 ? hops : 0;
}

/** What a service needs to know about leadership to decide where a request is served. */
export interface LeadershipView {
  isLeader(): boolean;
  leaderHint(): NodeId | null;
  addressOf(id: NodeId): string | undefined;
}

/**
 * null when this node leads and serves the call itself; otherwise the leader's address to forward
 * to. Throws NotLeaderError (UNAVAILABLE, with the hint) when forwarding is impossible: no leader
 * known, its address unknown, or the hop limit reached.
 */
function leaderAddressOrSelf(
  leadership: LeadershipView,
  call: grpc.ServerUnaryCall<unknown, unknown>,
  maxForwardHops: number,
): string | null {
  if (leadership.isLeader()) return null;
  const leader = leadership.leaderHint();
  if (leader === null) throw new NotLeaderError(null);
  const address = leadership.addressOf(leader);
  if (address === undefined || hopsOf(call) >= maxForwardHops) throw new NotLeaderError(leader);
  return address;
}

/**
 * The leader-or-forward decision for one API service, remembering which calls it forwarded so
 * that their answers name the leader in trailing metadata and the client sends its next calls
 * there. Without that a client that reached a follower first kept paying the extra hop (and the
 * follower's CPU) on every call — most calls, under concurrency, in the benchmark.
 */
export class ForwardingRouter {
  /** Calls forwarded, to the leader's address. */
  private readonly forwarded = new WeakMap<object, string>();

  constructor(
    private readonly leadership: LeadershipView,
    private readonly maxForwardHops: number,
  ) {}

  /** leaderAddressOrSelf, remembering the leader when the call is to be forwarded. */
  route(call: grpc.ServerUnaryCall<unknown, unknown>): string | null {
    const leader = leaderAddressOrSelf(this.leadership, call, this.maxForwardHops);
    if (leader !== null) this.forwarded.set(call, leader);
    return leader;
  }

  /** Trailing metadata for a successful answer to `call`: the leader, if the call was forwarded. */
  trailerFor(call: object): grpc.Metadata | undefined {
    const leader = this.forwarded.get(call);
    if (leader === undefined) return undefined;
    const trailer = new grpc.Metadata();
    trailer.set(LEADER_ADDRESS_METADATA_KEY, leader);
    return trailer;
  }
}
