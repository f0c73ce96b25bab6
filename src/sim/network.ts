import type { NodeId, Rng } from '../lib/index.ts';
import type { Message } from './raft.ts';
import type { FaultCounters } from './stats.ts';

/** Per-message fault rates, in [0, 1]. Time is in simulation units (TICK_UNITS per tick). */
export interface NetworkProfile {
  readonly dropRate: number;
  readonly duplicateRate: number;
  /** Chance that a message is held back by an extra delay of up to `delayMaxUnits`. */
  readonly delayRate: number;
  readonly delayMaxUnits: number;
  readonly latencyMinUnits: number;
  readonly latencyMaxUnits: number;
}

export const RELIABLE_NETWORK: NetworkProfile = {
  dropRate: 0,
  duplicateRate: 0,
  delayRate: 0,
  delayMaxUnits: 0,
  latencyMinUnits: 1,
  latencyMaxUnits: 10,
};

/**
 * A simulated network: it decides, from the shared seeded Rng, whether and when each message
 * arrives. Reordering falls out of random latencies; partitions are sets of blocked directed
 * links, so they can be asymmetric.
 */
export class Network {
  profile: NetworkProfile;
  private readonly blocked = new Set<string>();
  private readonly rng: Rng;
  private readonly faults: FaultCounters;

  constructor(rng: Rng, profile: NetworkProfile, faults: FaultCounters) {
    this.rng = rng;
    this.profile = profile;
    this.faults = faults;
  }

  /** The delivery delays (in units) for one sent message: none when dropped, two when duplicated. */
  route(message: Message): number[] {
    if (this.isBlocked(message.from, message.to)) {
      this.faults.count('partitionDrop');
      return [];
    }
    const p = this.profile;
    if (p.dropRate > 0 && this.rng.next() < p.dropRate) {
      this.faults.count('drop');
      return [];
    }
    const delays = [this.latency()];
    if (p.duplicateRate > 0 && this.rng.next() < p.duplicateRate) {
      this.faults.count('duplicate');
      delays.push(this.latency());
    }
    return delays;
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && this.blocked.has(`${from}>${to}`);
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Cuts every link between the groups, both ways; links inside a group stay. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (const [i, group] of groups.entries()) {
      for (const [j, other] of groups.entries()) {
        if (i === j) continue;
        for (const a of group) for (const b of other) this.block(a, b);
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  describeBlocked(): string {
    return [...this.blocked].sort().join(' ');
  }

  private latency(): number {
    const p = this.profile;
    let delay = this.rng.int(p.latencyMinUnits, p.latencyMaxUnits + 1);
    if (p.delayRate > 0 && this.rng.next() < p.delayRate) {
      this.faults.count('delay');
      delay += this.rng.int(1, p.delayMaxUnits + 1);
    }
    return delay;
  }
}
