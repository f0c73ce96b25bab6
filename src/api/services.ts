/**
 * The client-facing gRPC services on the node's one port: Kv and Admin. A follower forwards
 * writes, linearizable reads and membership calls to the leader; when no leader is known it
 * answers UNAVAILABLE at once (never holding a request until its deadline).
 */
import * as grpc from '@grpc/grpc-js';
import type { ApiSettings } from '../config/index.ts';
import type { AdminHandlers } from '../gen/baton/v1/Admin.ts';
import type { KvHandlers } from '../gen/baton/v1/Kv.ts';
import type { MembershipResponse } from '../gen/baton/v1/MembershipResponse.ts';
import type { StatusResponse } from '../gen/baton/v1/StatusResponse.ts';
import type { Logger, NodeMetrics } from '../observability/index.ts';
import { CommandRejectedError, kvPut, readUserValue } from '../replica/index.ts';
import type { KvResult, Replica } from '../replica/index.ts';
import { NotLeaderError } from '../raft/errors.ts';
import { ForwardingRouter, LeaderForwarder, hopsOf } from './forwarder.ts';
import type { UnaryInvoker } from './forwarder.ts';
import type { PutResponse__Output } from '../gen/baton/v1/PutResponse.ts';
import type { GetResponse__Output } from '../gen/baton/v1/GetResponse.ts';
import type { MembershipResponse__Output } from '../gen/baton/v1/MembershipResponse.ts';
import type { TransferLeadershipResponse__Output } from '../gen/baton/v1/TransferLeadershipResponse.ts';
import type { ReadIndexResponse__Output } from '../gen/baton/v1/ReadIndexResponse.ts';
import { statusName, toServiceError } from './status.ts';
import type { LeaderHint } from './status.ts';
import { streamBackup } from './backup.ts';
import { apiProto } from './proto.ts';
import { validateAddress, validateKey, validateNodeId, validateValue } from './validation.ts';

export interface ApiOptions {
  readonly replica: Replica;
  readonly settings: ApiSettings;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
}

type Call<Req> = grpc.ServerUnaryCall<Req, unknown>;

export class ApiServices {
  private readonly replica: Replica;
  private readonly settings: ApiSettings;
  private readonly logger: Logger;
  private readonly metrics: NodeMetrics;
  private readonly forwarder: LeaderForwarder;
  private readonly router: ForwardingRouter;

  constructor(options: ApiOptions) {
    this.replica = options.replica;
    this.settings = options.settings;
    this.router = new ForwardingRouter(options.replica, options.settings.maxForwardHops);
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.forwarder = new LeaderForwarder({
      maxClients: options.settings.maxForwardClients,
      timeoutMs: options.settings.forwardTimeoutMs,
      maxMessageBytes: options.settings.maxGrpcMessageBytes,
    });
  }

  register(server: grpc.Server): void {
    const proto = apiProto();
    server.addService(proto.Kv.service, this.kvHandlers());
    server.addService(proto.Admin.service, this.adminHandlers());
  }

  close(): void {
    this.forwarder.close();
  }

  private kvHandlers(): KvHandlers {
    return {
      Put: this.unary('Put', async (request, call) => {
        const key = validateKey(request.key, this.settings);
        const value = validateValue(request.value, this.settings);
        const leader = this.leaderOrForward(call);
        if (leader !== null) {
          return this.forward<PutResponse__Output>('Put', call, (m, o, cb) =>
            this.forwarder.kv(leader).Put(request, m, o, cb),
          );
        }
        this.replica.admitClientWrite();
        const { index, result } = await this.replica.propose(kvPut(key, value));
        const outcome = result as KvResult;
        if (!outcome.ok) throw new CommandRejectedError(outcome.reason);
        return { index };
      }),
      Get: this.unary('Get', async (request, call) => {
        const key = validateKey(request.key, this.settings);
        if (request.stale) {
          const index = this.replica.appliedIndex();
          const value = await readUserValue(this.replica.reader(), key);
          return { found: value !== undefined, value: value ?? new Uint8Array(0), index };
        }
        const leader = this.leaderOrForward(call);
        if (leader !== null) {
          return this.forward<GetResponse__Output>('Get', call, (m, o, cb) =>
            this.forwarder.kv(leader).Get(request, m, o, cb),
          );
        }
        const index = await this.replica.readBarrier();
        const value = await readUserValue(this.replica.reader(), key);
        return { found: value !== undefined, value: value ?? new Uint8Array(0), index };
      }),
    };
  }

  private adminHandlers(): AdminHandlers {
    return {
      Status: this.unary('Status', () => Promise.resolve(this.statusResponse())),
      AddNode: this.unary('AddNode', async (request, call) => {
        const id = validateNodeId('id', request.id);
        const address = validateAddress('address', request.address);
        const leader = this.leaderOrForward(call);
        if (leader !== null) {
          return this.forward<MembershipResponse__Output>('AddNode', call, (m, o, cb) =>
            this.forwarder.admin(leader).AddNode(request, m, o, cb),
          );
        }
        const index = await this.replica.addNode(id, address);
        return this.membershipResponse(index);
      }),
      RemoveNode: this.unary('RemoveNode', async (request, call) => {
        const id = validateNodeId('id', request.id);
        const leader = this.leaderOrForward(call);
        if (leader !== null) {
          return this.forward<MembershipResponse__Output>('RemoveNode', call, (m, o, cb) =>
            this.forwarder.admin(leader).RemoveNode(request, m, o, cb),
          );
        }
        if (id === this.replica.id) return this.removeSelfAsLeader(request, call);
        const index = await this.replica.removeNode(id);
        return this.membershipResponse(index);
      }),
      Backup: (call) => {
        // Any node serves it, from its own state: no forwarding, no leader needed.
        streamBackup(call, this.replica, this.settings.maxGrpcMessageBytes).catch(
          (error: unknown) => {
            this.logger.warn({ err: error }, 'backup failed');
            call.emit('error', toServiceError(error, this.hint()));
          },
        );
      },
      ReadIndex: this.unary('ReadIndex', async (request, call) => {
        const leader = this.leaderOrForward(call);
        if (leader !== null) {
          return this.forward<ReadIndexResponse__Output>('ReadIndex', call, (m, o, cb) =>
            this.forwarder.admin(leader).ReadIndex(request, m, o, cb),
          );
        }
        return { index: await this.replica.readBarrier() };
      }),
      TransferLeadership: this.unary('TransferLeadership', async (request, call) => {
        const to = request.to === '' ? undefined : validateNodeId('to', request.to);
        const leader = this.leaderOrForward(call);
        if (leader !== null) {
          return this.forward<TransferLeadershipResponse__Output>(
            'TransferLeadership',
            call,
            (m, o, cb) => this.forwarder.admin(leader).TransferLeadership(request, m, o, cb),
          );
        }
        const leaderId = await this.replica.transferLeadership(to);
        return { leaderId };
      }),
    };
  }

  /**
   * null when this node leads and should serve the call itself; otherwise the leader's address to
   * forward to. Throws NotLeaderError (UNAVAILABLE, with the hint) when forwarding is impossible.
   */
  private leaderOrForward(call: Call<unknown>): string | null {
    return this.router.route(call);
  }

  /**
   * A leader cannot commit its own removal and keep leading, and an operator scaling down should
   * not have to find out which node leads first: it hands leadership to the most caught-up voter
   * (as on SIGTERM), then asks that node to remove it. Writes meanwhile see one leader change.
   */
  private async removeSelfAsLeader(
    request: { id: string },
    call: Call<unknown>,
  ): Promise<MembershipResponse__Output> {
    const successor = await this.replica.transferLeadership();
    const address = this.replica.addressOf(successor);
    if (address === undefined) throw new NotLeaderError(successor);
    this.logger.info(
      { successor },
      'asked to remove this node while it leads: leadership handed off, removal forwarded',
    );
    return this.forward<MembershipResponse__Output>('RemoveNode', call, (m, o, cb) =>
      this.forwarder.admin(address).RemoveNode(request, m, o, cb),
    );
  }

  private forward<Res>(
    method: string,
    call: Call<unknown>,
    invoke: UnaryInvoker<Res>,
  ): Promise<Res> {
    this.metrics.forwarded.inc({ method });
    return this.forwarder.call(invoke, hopsOf(call), call.getDeadline());
  }

  private unary<Req, Res>(
    method: string,
    handle: (request: Req, call: Call<Req>) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      let promise: Promise<Res>;
      try {
        promise = handle(call.request, call);
      } catch (error) {
        promise = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      promise.then(
        (response) => {
          callback(null, response, this.router.trailerFor(call));
        },
        (error: unknown) => {
          const status = toServiceError(error, this.hint());
          this.metrics.apiErrors.inc({ code: statusName(status.code ?? grpc.status.UNKNOWN) });
          this.logger.debug({ err: error, method }, 'request failed');
          callback(status, null);
        },
      );
    };
  }

  private hint(): LeaderHint {
    const leader = this.replica.leaderHint();
    return {
      id: leader,
      address: leader === null ? null : (this.replica.addressOf(leader) ?? null),
    };
  }

  private statusResponse(): StatusResponse {
    const status = this.replica.status();
    const leader = status.leader;
    return {
      clusterId: this.replica.clusterId,
      nodeId: this.replica.id,
      term: status.term,
      role: status.role,
      leaderId: leader ?? '',
      leaderAddress: leader === null ? '' : (this.replica.addressOf(leader) ?? ''),
      commitIndex: status.commit,
      appliedIndex: this.replica.appliedIndex(),
      lastIndex: status.lastIndex,
      members: this.replica.members(),
    };
  }

  private membershipResponse(index: number): MembershipResponse {
    return { members: this.replica.members(), index };
  }
}
