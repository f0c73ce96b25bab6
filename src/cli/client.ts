/**
 * A small client for the CLI's admin and kv commands: tries the given endpoints in order and
 * follows the leader hint (baton-leader-address) that a node returns with UNAVAILABLE.
 */
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../gen/baton/v1/Admin.ts';
import type { BackupChunk__Output } from '../gen/baton/v1/BackupChunk.ts';
import type { BackupHeader__Output } from '../gen/baton/v1/BackupHeader.ts';
import type { KvClient } from '../gen/baton/v1/Kv.ts';
import type { WorkflowClient } from '../gen/baton/v1/Workflow.ts';
import { workflowProto } from '../api/workflow-proto.ts';
import { FAST_RECONNECT_CHANNEL_OPTIONS } from '../api/forwarder.ts';
import { apiProto } from '../api/proto.ts';
import { LEADER_ADDRESS_METADATA_KEY } from '../api/status.ts';

/** Attempts per call across endpoints and leader hints. */
const MAX_ATTEMPTS = 8;
const RETRY_DELAY_MS = 200;

/** Starts one call on `client` (binds the request). */
export type ClientCall<C, Res> = (
  client: C,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => grpc.ClientUnaryCall;

export class CliClient {
  private readonly endpoints: readonly string[];
  private readonly timeoutMs: number;
  private readonly kvClients = new Map<string, KvClient>();
  private readonly adminClients = new Map<string, AdminClient>();
  private readonly workflowClients = new Map<string, WorkflowClient>();

  constructor(endpoints: readonly string[], timeoutMs: number) {
    if (endpoints.length === 0)
      throw new Error('no endpoints given: pass --endpoints host:port[,host:port…]');
    this.endpoints = endpoints;
    this.timeoutMs = timeoutMs;
  }

  kv<Res>(start: ClientCall<KvClient, Res>, followLeader = true): Promise<Res> {
    return this.call((address) => this.kvClient(address), start, followLeader);
  }

  admin<Res>(start: ClientCall<AdminClient, Res>, followLeader = true): Promise<Res> {
    return this.call((address) => this.adminClient(address), start, followLeader);
  }

  /** A Workflow call; `timeoutMs` overrides the per-attempt deadline (long-polls). */
  workflow<Res>(start: ClientCall<WorkflowClient, Res>, timeoutMs?: number): Promise<Res> {
    return this.call((address) => this.workflowClient(address), start, true, timeoutMs);
  }

  /**
   * Admin.Backup from the first endpoint that serves it (any node can: it sends its own state).
   * Resolves with the header and the state's bytes, checked against the header's length.
   */
  async backup(
    timeoutMs: number,
    minIndex = 0,
  ): Promise<{ endpoint: string; header: BackupHeader__Output; data: Buffer }> {
    let lastError: Error | null = null;
    for (const endpoint of this.endpoints) {
      try {
        const backup = await receiveBackup(this.adminClient(endpoint), timeoutMs, minIndex);
        return { endpoint, ...backup };
      } catch (error) {
        lastError = error as Error;
        const code = (error as Partial<grpc.ServiceError>).code;
        if (code !== grpc.status.UNAVAILABLE && code !== grpc.status.DEADLINE_EXCEEDED) throw error;
      }
    }
    throw lastError ?? new Error('no endpoint answered');
  }

  close(): void {
    for (const client of this.workflowClients.values()) client.close();
    for (const client of this.kvClients.values()) client.close();
    for (const client of this.adminClients.values()) client.close();
  }

  private async call<C extends grpc.Client, Res>(
    clientFor: (address: string) => C,
    start: ClientCall<C, Res>,
    followLeader: boolean,
    timeoutMs = this.timeoutMs,
  ): Promise<Res> {
    const queue = [...this.endpoints];
    let lastError: grpc.ServiceError | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const address = queue[attempt % queue.length]!;
      const client = clientFor(address);
      try {
        return await invoke(client, start, timeoutMs);
      } catch (error) {
        const serviceError = error as grpc.ServiceError;
        lastError = serviceError;
        if (
          serviceError.code !== grpc.status.UNAVAILABLE &&
          serviceError.code !== grpc.status.DEADLINE_EXCEEDED
        )
          throw error;
        const hint = serviceError.metadata?.get(LEADER_ADDRESS_METADATA_KEY)[0];
        if (followLeader && typeof hint === 'string' && hint !== '' && hint !== address)
          queue.splice(attempt + 1, 0, hint);
        else await delay(RETRY_DELAY_MS);
      }
    }
    throw lastError ?? new Error('no endpoint answered');
  }

  private kvClient(address: string): KvClient {
    let client = this.kvClients.get(address);
    if (client === undefined) {
      client = new (apiProto().Kv)(
        address,
        grpc.credentials.createInsecure(),
        FAST_RECONNECT_CHANNEL_OPTIONS,
      );
      this.kvClients.set(address, client);
    }
    return client;
  }

  private workflowClient(address: string): WorkflowClient {
    let client = this.workflowClients.get(address);
    if (client === undefined) {
      client = new (workflowProto().Workflow)(
        address,
        grpc.credentials.createInsecure(),
        FAST_RECONNECT_CHANNEL_OPTIONS,
      );
      this.workflowClients.set(address, client);
    }
    return client;
  }

  private adminClient(address: string): AdminClient {
    let client = this.adminClients.get(address);
    if (client === undefined) {
      client = new (apiProto().Admin)(
        address,
        grpc.credentials.createInsecure(),
        FAST_RECONNECT_CHANNEL_OPTIONS,
      );
      this.adminClients.set(address, client);
    }
    return client;
  }
}

function invoke<C, Res>(client: C, start: ClientCall<C, Res>, timeoutMs: number): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    start(client, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error !== null) reject(error);
      else if (response === undefined) reject(new Error('empty response'));
      else resolve(response);
    });
  });
}

function receiveBackup(
  client: AdminClient,
  timeoutMs: number,
  minIndex: number,
): Promise<{ header: BackupHeader__Output; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const call = client.Backup({ minIndex }, { deadline: Date.now() + timeoutMs });
    let header: BackupHeader__Output | null = null;
    const chunks: Buffer[] = [];
    let received = 0;
    call.on('data', (chunk: BackupChunk__Output) => {
      if (header === null) {
        if (chunk.header === null) {
          call.cancel();
          reject(new Error('the node sent backup data before its header'));
          return;
        }
        header = chunk.header;
      }
      received += chunk.data.length;
      if (received > header.dataBytes) {
        call.cancel();
        reject(new Error(`the node sent more than the ${header.dataBytes} bytes it announced`));
        return;
      }
      chunks.push(chunk.data);
    });
    call.on('error', reject);
    call.on('end', () => {
      if (header === null) reject(new Error('the node ended the backup without sending it'));
      else if (received !== header.dataBytes)
        reject(new Error(`the backup ended after ${received} of ${header.dataBytes} bytes`));
      else resolve({ header, data: Buffer.concat(chunks, received) });
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function parseEndpoints(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
