/**
 * A pool of gRPC channels, a few per endpoint, shared by every client in this folder (Baton's
 * and the etcd comparison's), so both systems are driven with exactly the same client settings.
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodCodec } from './api.ts';

export interface ChannelSettings {
  /** Separate HTTP/2 connections per endpoint; calls are spread over them round-robin. */
  channelsPerEndpoint: number;
  /** Reconnect quickly after a node restarts (grpc-js defaults to 1 s, growing to 120 s). */
  reconnectBackoffMinMs: number;
  reconnectBackoffMaxMs: number;
}

export const DEFAULT_CHANNEL_SETTINGS: ChannelSettings = {
  channelsPerEndpoint: 2,
  reconnectBackoffMinMs: 50,
  reconnectBackoffMaxMs: 500,
};

export const CHANNELS_PER_ENDPOINT_MAX = 64;

export class ChannelPool {
  readonly settings: ChannelSettings;
  private readonly channels = new Map<string, { clients: grpc.Client[]; next: number }>();

  constructor(settings: Partial<ChannelSettings> = {}) {
    this.settings = { ...DEFAULT_CHANNEL_SETTINGS, ...settings };
    const { channelsPerEndpoint } = this.settings;
    if (channelsPerEndpoint < 1 || channelsPerEndpoint > CHANNELS_PER_ENDPOINT_MAX) {
      throw new RangeError(
        `channelsPerEndpoint must be 1..${CHANNELS_PER_ENDPOINT_MAX}, got ${channelsPerEndpoint}`,
      );
    }
  }

  private client(address: string): grpc.Client {
    let entry = this.channels.get(address);
    if (entry === undefined) {
      const options: grpc.ChannelOptions = {
        // Without a local pool grpc-js shares one connection per address across clients.
        'grpc.use_local_subchannel_pool': 1,
        'grpc.initial_reconnect_backoff_ms': this.settings.reconnectBackoffMinMs,
        'grpc.min_reconnect_backoff_ms': this.settings.reconnectBackoffMinMs,
        'grpc.max_reconnect_backoff_ms': this.settings.reconnectBackoffMaxMs,
        'grpc.enable_retries': 0,
        // Nothing here reads channelz; its per-call bookkeeping only costs the client CPU (the
        // same client drives etcd in the benchmark, so both sides gain alike).
        'grpc.enable_channelz': 0,
      };
      const clients: grpc.Client[] = [];
      for (let i = 0; i < this.settings.channelsPerEndpoint; i++) {
        clients.push(new grpc.Client(address, grpc.credentials.createInsecure(), options));
      }
      entry = { clients, next: 0 };
      this.channels.set(address, entry);
    }
    const client = entry.clients[entry.next]!;
    entry.next = (entry.next + 1) % entry.clients.length;
    return client;
  }

  /**
   * Resolves once every pooled connection to `address` is connected. After a node restarts, one
   * connection may still sit in reconnect backoff from the crash while another already works, and
   * a single-attempt call on it fails at once; waiting here makes "the node is back" mean it.
   */
  async waitForReady(address: string, timeoutMs: number): Promise<void> {
    this.client(address);
    const entry = this.channels.get(address)!;
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      entry.clients.map(
        (client) =>
          new Promise<void>((resolve, reject) => {
            client.waitForReady(deadline, (error) => {
              if (error === undefined || error === null) resolve();
              else reject(error);
            });
          }),
      ),
    );
  }

  /**
   * One attempt of a unary call; rejects with the grpc.ServiceError as is. `onTrailers` sees a
   * successful call's trailing metadata before the promise's continuations run (grpc-js emits
   * 'status' right after the callback).
   */
  unary<Request, Response>(
    address: string,
    method: MethodCodec<Request, Response>,
    request: Request,
    deadlineMs: number,
    onTrailers?: (trailers: grpc.Metadata) => void,
  ): Promise<Response> {
    const client = this.client(address);
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest(
        method.path,
        method.serialize,
        method.deserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (error, response) => {
          if (error !== null) reject(error);
          else if (response === undefined) reject(new Error(`${method.path}: empty response`));
          else resolve(response);
        },
      );
      if (onTrailers !== undefined) {
        call.on('status', (status: grpc.StatusObject) => {
          if (status.code === grpc.status.OK) onTrailers(status.metadata);
        });
      }
    });
  }

  /** Drops the connections to one endpoint (a node that was removed for good). */
  forget(address: string): void {
    const entry = this.channels.get(address);
    if (entry === undefined) return;
    for (const client of entry.clients) client.close();
    this.channels.delete(address);
  }

  close(): void {
    for (const address of [...this.channels.keys()]) this.forget(address);
  }
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === 'number' &&
    (error as Partial<grpc.ServiceError>).metadata instanceof grpc.Metadata
  );
}
