import { BatonError } from '../lib/index.ts';
import type { Cluster } from './cluster.ts';
import type { NodeHost } from './node-host.ts';

const encoder = new TextEncoder();

/**
 * Clients: they propose unique commands and issue ReadIndex reads, mostly at the node they
 * believe leads (as a client following leader hints would), sometimes at any node.
 */
export class Workload {
  private readonly cluster: Cluster;
  private commandNumber = 0;
  active = true;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  start(): void {
    this.scheduleNext();
  }

  /** Proposes one command at `host`; returns the label, or null when the core refused it. */
  propose(host: NodeHost, label: string): boolean {
    const node = host.node;
    if (node === null) return false;
    try {
      const position = node.propose(encoder.encode(label));
      host.trackProposal(label, position.index, position.term);
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      this.cluster.stats.proposalsFailed++;
      this.cluster.stats.proposalFailures.count(error.name);
      return false;
    } finally {
      host.processReady();
      this.cluster.touch(host);
    }
    return true;
  }

  private scheduleNext(): void {
    const mean = this.cluster.profile.clientGapUnits;
    this.cluster.at(this.cluster.rng.int(1, 2 * mean), 'client', () => {
      if (!this.active) return;
      this.operate();
      this.scheduleNext();
    });
  }

  private operate(): void {
    const cluster = this.cluster;
    const target = cluster.rng.next() < 0.9 ? cluster.leader() : this.anyLiveHost();
    if (target === null) return;
    if (cluster.rng.next() < cluster.profile.readRatio) {
      if (!target.startRead(cluster.checker.highestAcknowledged)) cluster.stats.readsFailed++;
      cluster.touch(target);
      return;
    }
    this.propose(target, `c${++this.commandNumber}`);
  }

  private anyLiveHost(): NodeHost | null {
    const live = this.cluster.liveHosts();
    return live.length === 0 ? null : live[this.cluster.rng.int(0, live.length)]!;
  }
}
