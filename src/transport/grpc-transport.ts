/**
 * The production transport: Raft messages between nodes over gRPC (proto/baton/raft/v1/raft.proto).
 *
 * The node owns one gRPC server for clients, admin and peers; the transport only adds the
 * RaftPeer service to it (`registerServer`) and never binds a port itself. Outbound, each peer
 * has a `GrpcPeer` (grpc-peer.ts): persistent channel, bounded queue, batching, backoff, chunked
 * snapshots.
 *
 * Inbound, every stream is checked before anything reaches Raft: the cluster id must be ours
 * (else PERMISSION_DENIED), all messages of a stream must come from the sender it named and be
 * addressed to this node (else FAILED_PRECONDITION), and each message must decode cleanly (else
 * INVALID_ARGUMENT). A batch is validated whole before any of it is delivered. Refusals are
 * counted and logged, and end only the offending stream.
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { assert, HEALTHY_STORAGE, nodeId } from '../lib/index.ts';
import type { BatonError, NodeId, StorageHealth } from '../lib/index.ts';
import type { Message } from '../raft/types.ts';
import type { InstallSnapshotResponse } from '../gen/baton/raft/v1/InstallSnapshotResponse.ts';
import type { MessageBatch__Output } from '../gen/baton/raft/v1/MessageBatch.ts';
import type { RaftPeerClient, RaftPeerHandlers } from '../gen/baton/raft/v1/RaftPeer.ts';
import type { SendResponse } from '../gen/baton/raft/v1/SendResponse.ts';
import type { SnapshotChunk__Output } from '../gen/baton/raft/v1/SnapshotChunk.ts';
import type { SnapshotHeader__Output } from '../gen/baton/raft/v1/SnapshotHeader.ts';
import { parseMessageBatch } from './batch-decoder.ts';
import { encodeMessageBatch } from './batch-encoder.ts';
import { decodeMessage, decodeSnapshotMeta } from './codec.ts';
import { PeerStorageReports } from './peer-storage.ts';
import { InboundRejectedError, InvalidPeerAddressError, MalformedMessageError } from './errors.ts';
import type { InboundRejectReason } from './errors.ts';
import { GrpcPeer, PEER_CHANNEL_OPTIONS } from './grpc-peer.ts';
import type { PeerClientConstructor } from './grpc-peer.ts';
import { resolveTransportLimits } from './limits.ts';
import type { TransportLimits } from './limits.ts';
import { raftPackage } from './proto.ts';
import type { TransportMetrics, TransportStats, TransportStatsSource } from './stats.ts';
import type { Transport, TransportHandlers } from './types.ts';

export interface GrpcTransportOptions {
  /** Every message carries it; streams from another cluster are refused. */
  readonly clusterId: string;
  readonly nodeId: NodeId;
  readonly logger: Logger;
  /** Overrides of DEFAULT_TRANSPORT_LIMITS (validated; InvalidTransportLimitsError). */
  readonly limits?: Partial<TransportLimits>;
  readonly metrics?: TransportMetrics;
  /** Default: insecure (loopback / private network). */
  readonly credentials?: grpc.ChannelCredentials;
  /** Merged over PEER_CHANNEL_OPTIONS. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Backoff jitter in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** The RaftPeer service definition, for tests and tools that speak the peer protocol directly. */
export function raftPeerService(): grpc.ServiceDefinition {
  return raftPackage().RaftPeer.service;
}

export type RaftPeerClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => RaftPeerClient;

/** The generated RaftPeer client constructor, for tests and tools that write proto objects. */
export function raftPeerClientConstructor(): RaftPeerClientConstructor {
  return raftPackage().RaftPeer;
}

/** The generated service with Send's (de)serialization replaced by `codec`. */
function withSendCodec(
  codec: Partial<grpc.MethodDefinition<unknown, unknown>>,
): grpc.ServiceDefinition {
  const service = raftPeerService();
  const send = service['Send'];
  assert(send !== undefined, 'raft.proto defines RaftPeer.Send');
  return { ...service, Send: { ...send, ...codec } };
}

/** The service as this node serves it: Send batches are parsed by hand (batch-decoder.ts). */
function peerServerDefinition(): grpc.ServiceDefinition {
  return withSendCodec({ requestDeserialize: parseMessageBatch });
}

let peerClient: PeerClientConstructor | null = null;

/** The transport's own client: Send encodes the core's messages by hand (batch-encoder.ts). */
export function peerClientConstructor(): PeerClientConstructor {
  if (peerClient === null) {
    peerClient = grpc.makeGenericClientConstructor(
      withSendCodec({
        requestSerialize: encodeMessageBatch as (value: unknown) => Buffer,
      }),
      'RaftPeer',
    ) as unknown as PeerClientConstructor;
  }
  return peerClient;
}

interface InboundStream {
  fail(error: InboundRejectedError): void;
}

export class GrpcTransport implements Transport, TransportStatsSource {
  readonly limits: TransportLimits;
  private readonly clusterId: string;
  private readonly self: NodeId;
  private readonly logger: Logger;
  private readonly metrics: TransportMetrics;
  private readonly credentials: grpc.ChannelCredentials;
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly random: () => number;
  private readonly peers = new Map<NodeId, GrpcPeer>();
  private readonly inbound = new Set<InboundStream>();
  private handlers: TransportHandlers | null = null;
  private server: grpc.Server | null = null;
  private closed = false;
  private snapshotReceives = 0;
  private droppedUnknownPeer = 0;
  private receivedMessages = 0;
  private receivedBatches = 0;
  private receivedSnapshots = 0;
  private readonly rejected: Partial<Record<InboundRejectReason, number>> = {};
  private localStorage: StorageHealth = HEALTHY_STORAGE;
  private readonly peerStorage = new PeerStorageReports();

  constructor(options: GrpcTransportOptions) {
    assert(options.clusterId.length > 0, 'clusterId must not be empty');
    assert(options.nodeId.length > 0, 'nodeId must not be empty');
    this.clusterId = options.clusterId;
    this.self = options.nodeId;
    this.limits = resolveTransportLimits(options.limits);
    // The composition root may have named the component already; pino would repeat the key.
    this.logger =
      options.logger.bindings()['component'] === undefined
        ? options.logger.child({ component: 'transport' })
        : options.logger;
    this.metrics = options.metrics ?? {};
    this.credentials = options.credentials ?? grpc.credentials.createInsecure();
    this.channelOptions = { ...PEER_CHANNEL_OPTIONS, ...options.channelOptions };
    this.random = options.random ?? Math.random;
  }

  /**
   * Adds the RaftPeer service to the node's shared server. Call once, before the server binds;
   * the server's lifecycle (bind, shutdown) stays with its owner.
   */
  registerServer(server: grpc.Server): void {
    assert(this.server === null, 'registerServer called twice');
    const handlers: RaftPeerHandlers = {
      Send: (call, callback) => {
        this.handleSend(call, callback);
      },
      InstallSnapshot: (call, callback) => {
        this.handleInstallSnapshot(call, callback);
      },
    };
    server.addService(peerServerDefinition(), handlers);
    this.server = server;
  }

  start(handlers: TransportHandlers): Promise<void> {
    assert(this.handlers === null, 'transport started twice');
    assert(!this.closed, 'transport started after close');
    this.handlers = handlers;
    return Promise.resolve();
  }

  send(messages: readonly Message[]): void {
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer === undefined) {
        this.droppedUnknownPeer += 1;
        this.metrics.messagesDropped?.(message.to, 1, this.closed ? 'closed' : 'unknownPeer');
        continue;
      }
      if (message.type === 'snapshot') peer.sendSnapshot(message);
      else peer.enqueue(message);
    }
  }

  setLocalStorage(storage: StorageHealth): void {
    this.localStorage = storage;
  }

  /** Throws InvalidPeerAddressError when gRPC cannot parse `address` (host:port). */
  addPeer(peer: NodeId, address: string): void {
    if (this.closed || peer === this.self) return;
    const existing = this.peers.get(peer);
    if (existing?.address === address) return;
    // Events of a replaced or removed sender are stale: only the current one speaks for `peer`.
    let sender: GrpcPeer | null = null;
    const isCurrent = (): boolean =>
      !this.closed && sender !== null && this.peers.get(peer) === sender;
    try {
      sender = new GrpcPeer({
        clusterId: this.clusterId,
        self: this.self,
        peer,
        address,
        clientConstructor: peerClientConstructor(),
        credentials: this.credentials,
        channelOptions: this.channelOptions,
        limits: this.limits,
        logger: this.logger,
        metrics: this.metrics,
        random: this.random,
        localStorage: () => this.localStorage,
        events: {
          unreachable: (from) => {
            if (isCurrent()) this.handlers?.onUnreachable(from);
          },
          snapshotStatus: (from, status) => {
            if (isCurrent()) this.handlers?.onSnapshotStatus(from, status);
          },
        },
      });
    } catch (error) {
      throw new InvalidPeerAddressError(peer, address, { cause: error });
    }
    existing?.close();
    this.peers.set(peer, sender);
  }

  removePeer(peer: NodeId): void {
    this.peers.get(peer)?.close();
    this.peers.delete(peer);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    for (const stream of [...this.inbound]) {
      stream.fail(new InboundRejectedError('closed', `node ${this.self} is shutting down`));
    }
    if (this.server !== null) this.server.removeService(raftPeerService());
    this.handlers = null;
    return Promise.resolve();
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, ReturnType<GrpcPeer['counters']['snapshot']>>();
    for (const [id, peer] of this.peers) peers.set(id, peer.counters.snapshot());
    return {
      peers,
      droppedUnknownPeer: this.droppedUnknownPeer,
      receivedMessages: this.receivedMessages,
      receivedBatches: this.receivedBatches,
      receivedSnapshots: this.receivedSnapshots,
      rejected: { ...this.rejected },
    };
  }

  private handleSend(
    call: grpc.ServerReadableStream<MessageBatch__Output, SendResponse>,
    callback: grpc.sendUnaryData<SendResponse>,
  ): void {
    let streamSender: NodeId | null = null;
    const stream = this.trackInbound(call, callback, () => ({}));
    call.on('data', (batch: MessageBatch__Output) => {
      if (stream.done) return;
      let messages: Message[];
      try {
        messages = this.acceptBatch(batch, streamSender);
      } catch (error) {
        stream.fail(this.asRejection(error, call.getPeer()));
        return;
      }
      const sender = (streamSender ??= nodeId(batch.from));
      this.receivedBatches += 1;
      this.receivedMessages += messages.length;
      const handlers = this.handlers!;
      const report = this.peerStorage.update(
        sender,
        batch.diskLow,
        batch.diskFreeBytes,
        batch.diskCritical,
      );
      if (report !== null) handlers.onPeerStorage(sender, report);
      for (const message of messages) handlers.onMessage(message);
    });
  }

  /** Validates a whole batch; throws InboundRejectedError or MalformedMessageError. */
  private acceptBatch(batch: MessageBatch__Output, streamSender: NodeId | null): Message[] {
    this.checkEnvelope(batch.clusterId, batch.from);
    if (streamSender !== null && batch.from !== streamSender) {
      throw new InboundRejectedError(
        'senderMismatch',
        `this stream belongs to ${streamSender}, not ${batch.from}`,
      );
    }
    const raw = batch.messages;
    if (!Array.isArray(raw)) throw new MalformedMessageError('messages is not a list');
    const messages: Message[] = [];
    for (const proto of raw) {
      const message = decodeMessage(proto, this.limits);
      if (message.type === 'snapshot') {
        throw new MalformedMessageError('snapshots travel on InstallSnapshot, not in a batch');
      }
      this.checkAddressing(message, batch.from);
      messages.push(message);
    }
    return messages;
  }

  private checkEnvelope(clusterId: unknown, from: unknown): void {
    if (this.closed) throw new InboundRejectedError('closed', `node ${this.self} is shutting down`);
    if (this.handlers === null) {
      throw new InboundRejectedError(
        'notStarted',
        `node ${this.self} is not accepting Raft messages yet`,
      );
    }
    if (clusterId !== this.clusterId) {
      throw new InboundRejectedError(
        'wrongCluster',
        `node ${this.self} belongs to cluster ${JSON.stringify(this.clusterId)}, not ${JSON.stringify(clusterId)}`,
      );
    }
    if (typeof from !== 'string' || from.length === 0)
      throw new MalformedMessageError('the sender id is missing');
  }

  private checkAddressing(message: Message, from: string): void {
    if (message.from !== from) {
      throw new InboundRejectedError(
        'senderMismatch',
        `a message from ${message.from} arrived on ${from}'s stream`,
      );
    }
    if (message.to !== this.self) {
      throw new InboundRejectedError(
        'wrongRecipient',
        `a message for ${message.to} reached ${this.self}; the sender's address for ${message.to} is wrong`,
      );
    }
  }

  private handleInstallSnapshot(
    call: grpc.ServerReadableStream<SnapshotChunk__Output, InstallSnapshotResponse>,
    callback: grpc.sendUnaryData<InstallSnapshotResponse>,
  ): void {
    let assembly: SnapshotAssembly | null = null;
    let counted = false;
    const stream = this.trackInbound(call, callback, () => {
      if (assembly === null)
        throw new MalformedMessageError('the stream ended before the snapshot header');
      const message = assembly.finish();
      this.receivedSnapshots += 1;
      this.handlers?.onMessage(message);
      return {};
    });
    stream.onDone(() => {
      if (counted) this.snapshotReceives -= 1;
      assembly = null;
    });
    call.on('data', (chunk: SnapshotChunk__Output) => {
      if (stream.done) return;
      try {
        if (assembly === null) {
          if (this.snapshotReceives >= this.limits.maxConcurrentSnapshotReceives) {
            throw new InboundRejectedError(
              'tooManySnapshots',
              `node ${this.self} is already receiving ${this.snapshotReceives} snapshots`,
            );
          }
          assembly = this.beginSnapshot(chunk);
          this.snapshotReceives += 1;
          counted = true;
        } else {
          assembly.append(chunk, this.limits.maxMessageBytes);
        }
      } catch (error) {
        stream.fail(this.asRejection(error, call.getPeer()));
      }
    });
  }

  private beginSnapshot(chunk: SnapshotChunk__Output): SnapshotAssembly {
    const header: SnapshotHeader__Output | null | undefined = chunk.header;
    if (chunk.chunk !== 'header' || header === null || header === undefined) {
      throw new MalformedMessageError('a snapshot stream must begin with its header');
    }
    this.checkEnvelope(header.clusterId, header.from);
    if (header.message === null || header.message === undefined)
      throw new MalformedMessageError('the snapshot header has no message');
    const envelope = decodeMessage(header.message, this.limits);
    if (envelope.type !== 'snapshot')
      throw new MalformedMessageError(`the snapshot header carries a ${envelope.type} message`);
    this.checkAddressing(envelope, header.from);
    const meta = decodeSnapshotMeta(header.meta);
    const totalBytes = header.totalBytes;
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 0)
      throw new MalformedMessageError('the snapshot size is invalid');
    if (totalBytes > this.limits.maxSnapshotBytes) {
      throw new InboundRejectedError(
        'tooLarge',
        `a snapshot of ${totalBytes} bytes exceeds this node's maxSnapshotBytes (${this.limits.maxSnapshotBytes})`,
      );
    }
    if (!(header.sha256 instanceof Uint8Array) || header.sha256.length !== 32) {
      throw new MalformedMessageError('the snapshot checksum is missing');
    }
    return new SnapshotAssembly(envelope, meta, totalBytes, Buffer.from(header.sha256));
  }

  /**
   * Registers an inbound call so close() can end it, and funnels every way it can end into one
   * `finish`: a refusal, the sender's half-close (then `onEnd` produces the reply), or a cancel.
   */
  private trackInbound<Request, Response>(
    call: grpc.ServerReadableStream<Request, Response>,
    callback: grpc.sendUnaryData<Response>,
    onEnd: () => Response,
  ): InboundStream & { readonly done: boolean; onDone(listener: () => void): void } {
    let done = false;
    const doneListeners: (() => void)[] = [];
    const finish = (error: BatonError | null, response?: Response): void => {
      if (done) return;
      done = true;
      this.inbound.delete(stream);
      for (const listener of doneListeners) listener();
      if (error === null) callback(null, response);
      else
        callback({
          code: grpc.status[error.code],
          details: error.message,
          metadata: new grpc.Metadata(),
        });
    };
    const stream = {
      get done() {
        return done;
      },
      fail: (error: InboundRejectedError) => {
        finish(error);
      },
      onDone: (listener: () => void) => {
        doneListeners.push(listener);
      },
    };
    this.inbound.add(stream);
    call.on('end', () => {
      if (done) return;
      try {
        finish(null, onEnd());
      } catch (error) {
        finish(this.asRejection(error, call.getPeer()));
      }
    });
    call.on('error', () => {
      finish(null);
    });
    call.on('cancelled', () => {
      finish(null);
    });
    if (this.closed)
      finish(new InboundRejectedError('closed', `node ${this.self} is shutting down`));
    return stream;
  }

  /** Counts and logs a refused inbound stream; rethrows anything that is not an input problem. */
  private asRejection(error: unknown, remote: string): InboundRejectedError {
    let rejection: InboundRejectedError;
    if (error instanceof InboundRejectedError) rejection = error;
    else if (error instanceof MalformedMessageError)
      rejection = new InboundRejectedError('malformed', error.message, { cause: error });
    else throw error;
    this.rejected[rejection.reason] = (this.rejected[rejection.reason] ?? 0) + 1;
    this.metrics.inboundRejected?.(rejection.reason);
    const level =
      rejection.reason === 'closed' || rejection.reason === 'notStarted' ? 'debug' : 'warn';
    this.logger[level](
      { remote, reason: rejection.reason },
      `refused a Raft peer stream: ${rejection.message}`,
    );
    return rejection;
  }
}

/** Reassembles one snapshot into a buffer of exactly its announced size, hashing as it goes. */
class SnapshotAssembly {
  private readonly buffer: Buffer;
  private readonly hash = createHash('sha256');
  private offset = 0;

  constructor(
    private readonly envelope: Message,
    private readonly meta: NonNullable<Message['snapshot']>['meta'],
    private readonly totalBytes: number,
    private readonly expectedSha256: Buffer,
  ) {
    this.buffer = Buffer.allocUnsafe(totalBytes);
  }

  append(chunk: SnapshotChunk__Output, maxChunkBytes: number): void {
    const data = chunk.data;
    if (chunk.chunk !== 'data' || !(data instanceof Uint8Array)) {
      throw new MalformedMessageError('expected a snapshot data chunk');
    }
    if (data.length > maxChunkBytes)
      throw new MalformedMessageError(`a snapshot chunk of ${data.length} bytes is too large`);
    if (this.offset + data.length > this.totalBytes) {
      throw new MalformedMessageError(
        `the snapshot data exceeds its announced ${this.totalBytes} bytes`,
      );
    }
    this.buffer.set(data, this.offset);
    this.hash.update(data);
    this.offset += data.length;
  }

  finish(): Message {
    if (this.offset !== this.totalBytes) {
      throw new InboundRejectedError(
        'checksumMismatch',
        `the snapshot stream ended after ${this.offset} of ${this.totalBytes} bytes`,
      );
    }
    if (!this.hash.digest().equals(this.expectedSha256)) {
      throw new InboundRejectedError(
        'checksumMismatch',
        'the snapshot data does not match its SHA-256',
      );
    }
    return { ...this.envelope, entries: [], snapshot: { meta: this.meta, data: this.buffer } };
  }
}
