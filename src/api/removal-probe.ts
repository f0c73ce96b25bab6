/**
 * How a removed node finds out. The leader stops replicating to a node as soon as it appends the
 * membership change that removes it (a configuration takes effect when appended), so the node
 * usually never even receives the change and its own log cannot tell it. A member that has heard
 * from no leader for a while asks its peers for their status instead: a peer that has applied at
 * least as much of the log and whose membership lacks this node proves a committed change removed
 * it. (The cached per-address clients are the forwarder's; only their Admin.Status is used here.)
 *
 * Why that proof holds: applied entries are committed, so every node's log agrees on them; the
 * membership at index i is a function of the log up to i. This node's membership at its applied
 * index A includes it; a peer's at its applied index P ≥ A does not; so a committed change in
 * (A, P] removed it. A peer that is merely behind, partitioned or from another cluster proves
 * nothing and is ignored.
 */
import type * as grpc from '@grpc/grpc-js';
import type { StatusResponse__Output } from '../gen/baton/v1/StatusResponse.ts';
import { nodeId, type NodeId } from '../lib/index.ts';
import type { Logger } from '../observability/index.ts';
import type { MemberInfo, Removal } from '../replica/index.ts';
import { LeaderForwarder } from './forwarder.ts';

/** What the probe needs from the replica. */
export interface RemovalProbeTarget {
  readonly id: NodeId;
  readonly clusterId: string;
  isMember(): boolean;
  appliedIndex(): number;
  leaderSilenceMs(): number;
  members(): MemberInfo[];
  removedFromCluster(): Removal | null;
  markRemoved(removal: Removal): void;
}

export interface RemovalProbeOptions {
  readonly replica: RemovalProbeTarget;
  /** Ask peers only after this long without hearing from a leader. */
  readonly silenceMs: number;
  /** How often the silence is checked (and at most how often peers are asked). */
  readonly intervalMs: number;
  /** Deadline of one status call. */
  readonly callTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly logger: Logger;
}

/** Whether `peer`'s status proves that a committed membership change removed `self`. */
export function statusProvesRemoval(
  self: { readonly id: string; readonly clusterId: string; readonly appliedIndex: number },
  peer: Pick<StatusResponse__Output, 'clusterId' | 'appliedIndex' | 'members'>,
): boolean {
  return (
    peer.clusterId === self.clusterId &&
    peer.appliedIndex >= self.appliedIndex &&
    peer.members.length > 0 &&
    !peer.members.some((member) => member.id === self.id)
  );
}

export class RemovalProbe {
  private readonly options: RemovalProbeOptions;
  private readonly clients: LeaderForwarder;
  private timer: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(options: RemovalProbeOptions) {
    this.options = options;
    this.clients = new LeaderForwarder({
      maxClients: 16,
      timeoutMs: options.callTimeoutMs,
      maxMessageBytes: options.maxMessageBytes,
    });
  }

  start(): void {
    this.timer ??= setInterval(() => {
      void this.check();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.clients.close();
  }

  /** One check; resolves once every peer asked has answered or timed out. */
  async check(): Promise<void> {
    const replica = this.options.replica;
    if (this.probing || replica.removedFromCluster() !== null || !replica.isMember()) return;
    if (replica.leaderSilenceMs() < this.options.silenceMs) return;
    this.probing = true;
    try {
      const self = {
        id: replica.id,
        clusterId: replica.clusterId,
        appliedIndex: replica.appliedIndex(),
      };
      const peers = replica.members().filter((m) => m.id !== replica.id && m.address !== '');
      const answers = await Promise.all(
        peers.map((peer) => this.status(peer.address).then((status) => ({ peer, status }))),
      );
      for (const { peer, status } of answers) {
        if (status === null || !statusProvesRemoval(self, status)) continue;
        replica.markRemoved({
          learnedFrom: { peer: nodeId(peer.id), peerAppliedIndex: status.appliedIndex },
          index: null,
        });
        return;
      }
    } finally {
      this.probing = false;
    }
  }

  private status(address: string): Promise<StatusResponse__Output | null> {
    return new Promise((resolve) => {
      const options: grpc.CallOptions = { deadline: Date.now() + this.options.callTimeoutMs };
      this.clients.admin(address).Status({}, options, (error, response) => {
        if (error !== null || response === undefined) {
          this.options.logger.debug({ err: error, address }, 'status of a peer unavailable');
          resolve(null);
        } else {
          resolve(response);
        }
      });
    });
  }
}
