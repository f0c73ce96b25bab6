/**
 * A small client for a Baton cluster's Kv and Admin services. It sends each call to the node it
 * believes leads, follows the leader hint that a refusing node attaches (`baton-leader-address`
 * in trailing metadata), and retries retryable failures with short exponential backoff within a
 * time budget. This is the seed of the TypeScript SDK's connection logic.
 */
import * as grpc from '@grpc/grpc-js';
import {
  apiMethods,
  type GetResponse,
  type MembershipResponse,
  type MethodCodec,
  type PutResponse,
  type StatusResponse,
  type TransferLeadershipResponse,
} from './api.ts';
import { ChannelPool, isServiceError, type ChannelSettings } from './channels.ts';
import { RetryBudgetExhaustedError } from './errors.ts';
import { sleep } from './stats.ts';

export const LEADER_ADDRESS_METADATA_KEY = 'baton-leader-address';
export const LEADER_ID_METADATA_KEY = 'baton-leader';
/** Leader hints followed without pausing before the client backs off. */
export const LEADER_HINT_HOPS_MAX = 3;

export interface RetryPolicy {
  /** Status codes after which the call is tried again (on the hinted leader, or the next node). */
  retryableCodes: readonly grpc.status[];
  /** Whether an attempt that hit its own deadline is tried again (only safe for idempotent calls). */
  retryAttemptTimeouts: boolean;
  /** One attempt's deadline. */
  attemptDeadlineMs: number;
  /** Total time for all attempts of one call. */
  budgetMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retryableCodes: [grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED],
  retryAttemptTimeouts: true,
  attemptDeadlineMs: 2_000,
  budgetMs: 15_000,
  backoffMinMs: 5,
  backoffMaxMs: 100,
};

export interface ClientOptions {
  /** host:port of the nodes known at start; nodes named in leader hints are added as met. */
  endpoints: readonly string[];
  channels?: Partial<ChannelSettings>;
  retry?: Partial<RetryPolicy>;
}

/** Counts of what the client had to do; tests assert on `retriesByCode`. */
export interface ClientStats {
  calls: number;
  attempts: number;
  leaderHintsFollowed: number;
  retriesByCode: Map<string, number>;
}

export class BatonClient {
  readonly pool: ChannelPool;
  readonly retry: RetryPolicy;
  readonly stats: ClientStats = {
    calls: 0,
    attempts: 0,
    leaderHintsFollowed: 0,
    retriesByCode: new Map(),
  };
  private readonly endpoints: string[];
  private leaderAddress: string | undefined;
  private nextEndpoint = 0;

  constructor(options: ClientOptions) {
    if (options.endpoints.length === 0)
      throw new RangeError('a client needs at least one endpoint');
    this.endpoints = [...options.endpoints];
    this.pool = new ChannelPool(options.channels);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  }

  /** The node the client currently sends leader-bound calls to, if it knows one. */
  get leader(): string | undefined {
    return this.leaderAddress;
  }

  put(key: string, value: Uint8Array): Promise<PutResponse> {
    return this.call(apiMethods().put, { key, value });
  }

  /** A linearizable read through the leader. */
  get(key: string): Promise<GetResponse> {
    return this.call(apiMethods().get, { key, stale: false });
  }

  /** A possibly stale read served by one given node from its applied state; one attempt. */
  getStaleFrom(address: string, key: string): Promise<GetResponse> {
    return this.pool.unary(
      address,
      apiMethods().get,
      { key, stale: true },
      this.retry.attemptDeadlineMs,
    );
  }

  /** One node's own view of the cluster; one attempt. */
  statusOf(address: string, deadlineMs = this.retry.attemptDeadlineMs): Promise<StatusResponse> {
    return this.pool.unary(address, apiMethods().status, {}, deadlineMs);
  }

  addNode(id: string, address: string): Promise<MembershipResponse> {
    return this.call(apiMethods().addNode, { id, address });
  }

  removeNode(id: string): Promise<MembershipResponse> {
    return this.call(apiMethods().removeNode, { id });
  }

  transferLeadership(to = ''): Promise<TransferLeadershipResponse> {
    return this.call(apiMethods().transferLeadership, { to });
  }

  /** Sends leader-bound calls to `address` from now on (until it refuses or fails); adds it if new. */
  prefer(address: string): void {
    this.addEndpoint(address);
    this.leaderAddress = address;
  }

  /** Adds a node the client may send calls to. */
  addEndpoint(address: string): void {
    if (!this.endpoints.includes(address)) this.endpoints.push(address);
  }

  /** Stops sending to a node (it was removed from the cluster). */
  removeEndpoint(address: string): void {
    const index = this.endpoints.indexOf(address);
    if (index >= 0 && this.endpoints.length > 1) this.endpoints.splice(index, 1);
    if (this.leaderAddress === address) this.leaderAddress = undefined;
    this.pool.forget(address);
  }

  close(): void {
    this.pool.close();
  }

  /** Calls a leader-bound method, following hints and retrying within the budget. */
  async call<Request, Response>(
    method: MethodCodec<Request, Response>,
    request: Request,
  ): Promise<Response> {
    this.stats.calls++;
    const startMs = performance.now();
    let backoffMs = this.retry.backoffMinMs;
    let attempts = 0;
    let hintsInARow = 0;
    let target = this.leaderAddress ?? this.pickEndpoint();
    for (;;) {
      attempts++;
      this.stats.attempts++;
      try {
        let forwardedTo: string | undefined;
        const response = await this.pool.unary(
          target,
          method,
          request,
          this.retry.attemptDeadlineMs,
          (trailers) => {
            forwardedTo = metadataLeaderAddress(trailers);
          },
        );
        // A follower that forwarded the call names the leader: go there directly next time.
        if (forwardedTo !== undefined && forwardedTo !== target) this.addEndpoint(forwardedTo);
        this.leaderAddress = forwardedTo ?? target;
        return response;
      } catch (error) {
        const code = this.retryableCode(error);
        if (code === undefined) throw error;
        if (performance.now() - startMs >= this.retry.budgetMs) {
          throw new RetryBudgetExhaustedError(method.path, attempts, this.retry.budgetMs, {
            cause: error,
          });
        }
        this.stats.retriesByCode.set(code, (this.stats.retriesByCode.get(code) ?? 0) + 1);
        const hint = leaderHint(error);
        if (hint !== undefined && hint !== target) {
          this.stats.leaderHintsFollowed++;
          this.addEndpoint(hint);
          this.leaderAddress = hint;
          target = hint;
          // Nodes with stale views can point at each other; back off after a few hops.
          if (++hintsInARow <= LEADER_HINT_HOPS_MAX) continue;
        } else {
          if (this.leaderAddress === target) this.leaderAddress = undefined;
          target = this.pickEndpoint(target);
        }
        hintsInARow = 0;
        await sleep(backoffMs);
        backoffMs = Math.min(this.retry.backoffMaxMs, backoffMs * 2);
      }
    }
  }

  private retryableCode(error: unknown): string | undefined {
    if (!isServiceError(error)) return undefined;
    if (this.retry.retryableCodes.includes(error.code)) return grpc.status[error.code];
    if (error.code === grpc.status.DEADLINE_EXCEEDED && this.retry.retryAttemptTimeouts) {
      return grpc.status[error.code];
    }
    return undefined;
  }

  /** The next endpoint round-robin, skipping `avoid` when there is another. */
  private pickEndpoint(avoid?: string): string {
    let endpoint = this.endpoints[this.nextEndpoint % this.endpoints.length]!;
    this.nextEndpoint++;
    if (endpoint === avoid && this.endpoints.length > 1) {
      endpoint = this.endpoints[this.nextEndpoint % this.endpoints.length]!;
      this.nextEndpoint++;
    }
    return endpoint;
  }
}

/** The leader's address from a refusal's trailing metadata, if the node knew it. */
export function leaderHint(error: unknown): string | undefined {
  if (!isServiceError(error)) return undefined;
  return metadataLeaderAddress(error.metadata);
}

/** The leader's address named in response metadata (a refusal's, or a forwarded answer's trailers). */
export function metadataLeaderAddress(metadata: grpc.Metadata): string | undefined {
  const values = metadata.get(LEADER_ADDRESS_METADATA_KEY);
  const first = values[0];
  if (first === undefined) return undefined;
  const address = typeof first === 'string' ? first : first.toString('utf8');
  return address.length > 0 ? address : undefined;
}
