/**
 * How a node's Raft messages reach its peers. Two implementations pass one contract suite:
 * `MemoryTransport` (tests, in-process clusters) and `GrpcTransport` (production).
 */
import type { TransportStats } from './stats.ts';
import type { NodeId, StorageHealth } from '../lib/index.ts';
import type { Message } from '../raft/types.ts';

export interface TransportHandlers {
  /** A message arrived for this node (already checked: right cluster, known sender shape). */
  onMessage(message: Message): void;
  /** A peer could not be reached; the core should fall back to probing it (RaftNode.reportUnreachable). */
  onUnreachable(peer: NodeId): void;
  /** A snapshot stream to `peer` finished or failed (RaftNode.reportSnapshot). */
  onSnapshotStatus(peer: NodeId, status: 'finished' | 'failed'): void;
  /**
   * A peer's storage report changed: it went low or had room again, or, while low, its free space
   * moved by a mebibyte or more. Peers start out presumed healthy.
   */
  onPeerStorage(peer: NodeId, storage: StorageHealth): void;
}

export interface Transport {
  /** Begins delivering inbound messages to `handlers`. Called once. */
  start(handlers: TransportHandlers): Promise<void>;
  /**
   * Queues messages for their peers and returns at once: never blocks, never throws for a peer
   * being down. Each peer has a bounded queue; when it is full the message is dropped (Raft
   * retransmits) and counted. Messages to the same peer keep their order. Snapshot messages are
   * streamed in chunks on their own and reported through onSnapshotStatus.
   */
  send(messages: readonly Message[]): void;
  /** This node's storage report, sent with every later batch (defaults to healthy). */
  setLocalStorage(storage: StorageHealth): void;
  /** Adds or re-addresses a peer. Idempotent. */
  addPeer(peer: NodeId, address: string): void;
  /** Forgets a peer and closes its connection. Idempotent. */
  removePeer(peer: NodeId): void;
  /** Stops sending and receiving; pending messages are dropped. */
  close(): Promise<void>;
  /** Counters and queue figures (metrics, and the report logged when leadership moves). */
  stats(): TransportStats;
}
