/**
 * What a node knows about its contact with its peers, for the log line an operator reads when
 * leadership moves: when each peer was last heard from, what the transport still holds for it,
 * and whether this node's own event loop stalled (ticks that fired late). An election under load
 * then says which side went quiet instead of leaving only "leader changed".
 */
import type { NodeId } from '../lib/index.ts';
import type { TransportStats } from '../transport/index.ts';

export interface PeerContactView {
  /** Milliseconds since the last message from this peer; null if none since start. */
  readonly heardMsAgo: number | null;
  readonly queuedMessages: number;
  readonly droppedMessages: number;
  readonly failedStreams: number;
}

export interface ContactReport {
  readonly peers: Record<string, PeerContactView>;
  /** Longest gap between two ticks over roughly the last two election timeouts. */
  readonly maxTickGapMs: number;
}

export class PeerContact {
  private readonly lastHeardMs = new Map<NodeId, number>();
  private lastTickMs: number | null = null;
  private maxGapMs = 0;
  private previousWindowMaxGapMs = 0;
  private ticksInWindow = 0;

  /** @param windowTicks ticks per tick-gap window (the report covers the current and previous one). */
  constructor(private readonly windowTicks: number) {}

  heard(peer: NodeId, nowMs: number): void {
    this.lastHeardMs.set(peer, nowMs);
  }

  /** When `peer` was last heard from (performance.now() time), or undefined if never since start. */
  lastHeard(peer: NodeId): number | undefined {
    return this.lastHeardMs.get(peer);
  }

  /** Whether `peer` was heard from in the last `windowMs` (never, since start, counts as not). */
  heardWithin(peer: NodeId, nowMs: number, windowMs: number): boolean {
    const heard = this.lastHeardMs.get(peer);
    return heard !== undefined && nowMs - heard <= windowMs;
  }

  tick(nowMs: number): void {
    if (this.lastTickMs !== null) this.maxGapMs = Math.max(this.maxGapMs, nowMs - this.lastTickMs);
    this.lastTickMs = nowMs;
    if (++this.ticksInWindow >= this.windowTicks) {
      this.previousWindowMaxGapMs = this.maxGapMs;
      this.maxGapMs = 0;
      this.ticksInWindow = 0;
    }
  }

  report(nowMs: number, peers: readonly NodeId[], transport: TransportStats): ContactReport {
    const view: Record<string, PeerContactView> = {};
    for (const peer of peers) {
      const heard = this.lastHeardMs.get(peer);
      const sending = transport.peers.get(peer);
      view[peer] = {
        heardMsAgo: heard === undefined ? null : Math.round(nowMs - heard),
        queuedMessages: sending?.queuedMessages ?? 0,
        droppedMessages: sending?.droppedMessages ?? 0,
        failedStreams: sending?.failedStreams ?? 0,
      };
    }
    return {
      peers: view,
      maxTickGapMs: Math.round(Math.max(this.maxGapMs, this.previousWindowMaxGapMs)),
    };
  }
}
