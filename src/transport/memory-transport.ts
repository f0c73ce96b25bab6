/**
 * An in-process transport for tests and in-process clusters, with the same observable behaviour
 * as the gRPC one: a bounded queue per peer (newest dropped when full), order kept per peer,
 * batched asynchronous delivery (never re-entrant: a send inside onMessage is delivered on a
 * later turn), cluster id checked, snapshots reported, and a down or cut-off peer reported
 * through onUnreachable. The network object lets tests partition nodes.
 */
import { assert, HEALTHY_STORAGE } from '../lib/index.ts';
import type { NodeId, StorageHealth } from '../lib/index.ts';
import type { Message } from '../raft/types.ts';
import { estimateMessageBytes } from './codec.ts';
import { resolveTransportLimits } from './limits.ts';
import { PeerStorageReports } from './peer-storage.ts';
import type { TransportLimits } from './limits.ts';
import { SendQueue } from './send-queue.ts';
import { PeerCounters } from './stats.ts';
import type {
  DropReason,
  PeerTransportStats,
  TransportMetrics,
  TransportStats,
  TransportStatsSource,
} from './stats.ts';
import type { Transport, TransportHandlers } from './types.ts';
import type { InboundRejectReason } from './errors.ts';

/** Registry of the memory transports that can reach each other, and the links currently cut. */
export class MemoryTransportNetwork {
  private readonly nodes = new Map<NodeId, MemoryTransport>();
  private readonly cutLinks = new Set<string>();

  /** Called by MemoryTransport; a node id can be registered by one live transport at a time. */
  register(transport: MemoryTransport): void {
    const existing = this.nodes.get(transport.nodeId);
    assert(
      existing === undefined || existing === transport,
      `node ${transport.nodeId} is already on this network`,
    );
    this.nodes.set(transport.nodeId, transport);
  }

  unregister(transport: MemoryTransport): void {
    if (this.nodes.get(transport.nodeId) === transport) this.nodes.delete(transport.nodeId);
  }

  /** Cuts the link between `a` and `b` in both directions. */
  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(linkKey(a, b));
    this.cutLinks.add(linkKey(b, a));
  }

  /** Cuts `node` off from every other node (present and future). */
  isolate(node: NodeId): void {
    this.cutLinks.add(`${node}\u0000*`);
  }

  /** Cuts every link between the two groups. */
  partition(groupA: readonly NodeId[], groupB: readonly NodeId[]): void {
    for (const a of groupA) for (const b of groupB) this.cut(a, b);
  }

  /** Restores every link. */
  heal(): void {
    this.cutLinks.clear();
  }

  /** The live transport `to`, if `from` can currently reach it. */
  route(from: NodeId, to: NodeId): MemoryTransport | null {
    if (
      this.cutLinks.has(linkKey(from, to)) ||
      this.cutLinks.has(`${from}\u0000*`) ||
      this.cutLinks.has(`${to}\u0000*`)
    ) {
      return null;
    }
    return this.nodes.get(to) ?? null;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}

export interface MemoryTransportOptions {
  readonly network: MemoryTransportNetwork;
  readonly nodeId: NodeId;
  /** Default "memory". Messages between different cluster ids are refused, as over gRPC. */
  readonly clusterId?: string;
  readonly limits?: Partial<TransportLimits>;
  readonly metrics?: TransportMetrics;
}

class MemoryPeer {
  readonly counters = new PeerCounters();
  readonly queue: SendQueue;
  flushScheduled = false;

  constructor(limits: TransportLimits) {
    this.queue = new SendQueue(limits.maxQueuedMessagesPerPeer, limits.maxQueuedBytesPerPeer);
  }
}

export class MemoryTransport implements Transport, TransportStatsSource {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly limits: TransportLimits;
  private readonly network: MemoryTransportNetwork;
  private readonly metrics: TransportMetrics;
  private readonly peers = new Map<NodeId, MemoryPeer>();
  private handlers: TransportHandlers | null = null;
  private closed = false;
  private droppedUnknownPeer = 0;
  private receivedMessages = 0;
  private receivedBatches = 0;
  private receivedSnapshots = 0;
  private readonly rejected: Partial<Record<InboundRejectReason, number>> = {};
  private readonly pendingTimers = new Set<NodeJS.Immediate>();
  private localStorage: StorageHealth = HEALTHY_STORAGE;
  private readonly peerStorage = new PeerStorageReports();

  constructor(options: MemoryTransportOptions) {
    this.network = options.network;
    this.nodeId = options.nodeId;
    this.clusterId = options.clusterId ?? 'memory';
    this.limits = resolveTransportLimits(options.limits);
    this.metrics = options.metrics ?? {};
    this.network.register(this);
  }

  start(handlers: TransportHandlers): Promise<void> {
    assert(this.handlers === null, 'transport started twice');
    assert(!this.closed, 'transport started after close');
    this.handlers = handlers;
    return Promise.resolve();
  }

  send(messages: readonly Message[]): void {
    for (const message of messages) {
      const peer = this.closed ? undefined : this.peers.get(message.to);
      if (peer === undefined) {
        this.droppedUnknownPeer += 1;
        this.metrics.messagesDropped?.(message.to, 1, this.closed ? 'closed' : 'unknownPeer');
        continue;
      }
      if (message.type === 'snapshot') {
        this.sendSnapshot(message, peer);
        continue;
      }
      const sizeBytes = estimateMessageBytes(message);
      if (sizeBytes > this.limits.maxMessageBytes) {
        this.drop(message.to, peer, 1, 'oversized');
      } else if (!peer.queue.push(message, sizeBytes)) {
        this.drop(message.to, peer, 1, 'queueFull');
      } else {
        this.scheduleFlush(message.to, peer);
      }
      peer.counters.queuedMessages = peer.queue.length;
      peer.counters.queuedBytes = peer.queue.bytes;
    }
  }

  setLocalStorage(storage: StorageHealth): void {
    this.localStorage = storage;
  }

  addPeer(peer: NodeId, _address: string): void {
    if (this.closed || peer === this.nodeId || this.peers.has(peer)) return;
    this.peers.set(peer, new MemoryPeer(this.limits));
  }

  removePeer(peer: NodeId): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    this.peers.delete(peer);
    this.drop(peer, state, state.queue.clear(), 'closed');
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const [id, peer] of this.peers) this.drop(id, peer, peer.queue.clear(), 'closed');
    this.peers.clear();
    for (const timer of this.pendingTimers) clearImmediate(timer);
    this.pendingTimers.clear();
    this.network.unregister(this);
    this.handlers = null;
    return Promise.resolve();
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, PeerTransportStats>();
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

  /** Delivery side, called by a peer's flush. Returns false when this node refuses the batch. */
  private receive(
    clusterId: string,
    from: NodeId,
    storage: StorageHealth,
    messages: readonly Message[],
  ): boolean {
    if (this.closed || this.handlers === null) return false;
    if (clusterId !== this.clusterId) {
      this.rejected.wrongCluster = (this.rejected.wrongCluster ?? 0) + 1;
      this.metrics.inboundRejected?.('wrongCluster');
      return false;
    }
    // As on the wire: the free space travels only with a low report.
    const report = this.peerStorage.update(
      from,
      storage.diskLow,
      storage.diskLow ? storage.diskFreeBytes : 0,
      storage.diskCritical,
    );
    if (report !== null) this.handlers.onPeerStorage(from, report);
    this.receivedBatches += 1;
    this.receivedMessages += messages.length;
    for (const message of messages) {
      if (message.type === 'snapshot') this.receivedSnapshots += 1;
      this.handlers.onMessage(message);
    }
    return true;
  }

  private later(task: () => void): void {
    const timer = setImmediate(() => {
      this.pendingTimers.delete(timer);
      task();
    });
    this.pendingTimers.add(timer);
  }

  private scheduleFlush(to: NodeId, peer: MemoryPeer): void {
    if (peer.flushScheduled) return;
    peer.flushScheduled = true;
    this.later(() => {
      peer.flushScheduled = false;
      this.flush(to, peer);
    });
  }

  private flush(to: NodeId, peer: MemoryPeer): void {
    if (this.closed || this.peers.get(to) !== peer || peer.queue.length === 0) return;
    const { messages, bytes } = peer.queue.takeBatch(
      this.limits.maxBatchMessages,
      this.limits.maxBatchBytes,
    );
    peer.counters.queuedMessages = peer.queue.length;
    peer.counters.queuedBytes = peer.queue.bytes;
    const target = this.network.route(this.nodeId, to);
    if (
      target === null ||
      !target.receive(this.clusterId, this.nodeId, this.localStorage, messages)
    ) {
      peer.counters.failedStreams += 1;
      this.drop(to, peer, messages.length, 'unreachable');
      this.handlers?.onUnreachable(to);
      this.metrics.peerUnreachable?.(to);
    } else {
      peer.counters.sentBatches += 1;
      peer.counters.sentMessages += messages.length;
      if (messages.length > peer.counters.maxBatchMessages)
        peer.counters.maxBatchMessages = messages.length;
      this.metrics.batchSent?.(to, messages.length, bytes);
    }
    if (peer.queue.length > 0) this.scheduleFlush(to, peer);
  }

  private sendSnapshot(message: Message, peer: MemoryPeer): void {
    const to = message.to;
    const bytes = message.snapshot?.data.length ?? 0;
    this.later(() => {
      if (this.closed || this.peers.get(to) !== peer) return;
      const target = this.network.route(this.nodeId, to);
      const delivered =
        message.snapshot !== null &&
        target !== null &&
        target.receive(this.clusterId, this.nodeId, this.localStorage, [message]);
      const status = delivered ? 'finished' : 'failed';
      if (delivered) {
        peer.counters.snapshotsFinished += 1;
        peer.counters.snapshotChunksSent += 1;
      } else {
        peer.counters.snapshotsFailed += 1;
        this.handlers?.onUnreachable(to);
      }
      this.metrics.snapshotSent?.(to, delivered ? bytes : 0, status);
      this.handlers?.onSnapshotStatus(to, status);
    });
  }

  private drop(to: NodeId, peer: MemoryPeer, count: number, reason: DropReason): void {
    if (count === 0) return;
    peer.counters.droppedMessages += count;
    peer.counters.queuedMessages = peer.queue.length;
    peer.counters.queuedBytes = peer.queue.bytes;
    this.metrics.messagesDropped?.(to, count, reason);
  }
}
