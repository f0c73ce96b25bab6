import { Cluster } from './cluster.ts';
import { RELIABLE_NETWORK } from './network.ts';
import { ELECTION_TICKS, TICK_UNITS, profileByName } from './schedule.ts';
import type { CoreKnobs } from './schedule.ts';
import { Workload } from './workload.ts';

/** A leader counts as settled once it has led this long without a change. */
const SETTLE_TICKS = 3 * ELECTION_TICKS;
/** Give up on one measurement after this long (then it is reported as a failure). */
const MEASURE_LIMIT_TICKS = 40 * ELECTION_TICKS;

const MEASURE_KNOBS: CoreKnobs = {
  maxMessageBytes: 1 << 20,
  maxInflightMessages: 256,
  maxUncommittedBytes: 1 << 20,
  maxCommittedBytesPerReady: 1 << 20,
  snapshotEveryEntries: 1000,
  snapshotRetainEntries: 50,
  maxInFlightReadies: 0,
  persistDelayMaxUnits: 1,
};

export interface ElectionSample {
  readonly seed: number;
  /** Ticks from cutting the leader off until another node leads (fractional: ticks jitter). */
  readonly ticks: number;
}

/**
 * Failover time: on a healthy cluster with client load, wait for a settled leader, cut it off
 * from everyone, and count ticks until another node is leader.
 */
export function measureElection(seed: number, nodes: number): ElectionSample {
  const profile = {
    ...profileByName('mixed'),
    network: RELIABLE_NETWORK,
    crashBeforePersistRate: 0,
  };
  const cluster = new Cluster({ seed, nodes, profile, knobs: MEASURE_KNOBS });
  new Workload(cluster).start();
  let settledSince = -1;
  let settledLeader: string | null = null;
  const limit = MEASURE_LIMIT_TICKS * TICK_UNITS;
  while (cluster.now() < limit) {
    cluster.step();
    const leader = cluster.leader();
    if (leader?.id !== settledLeader) {
      settledLeader = leader?.id ?? null;
      settledSince = cluster.now();
    } else if (leader !== null && cluster.now() - settledSince >= SETTLE_TICKS * TICK_UNITS) {
      break;
    }
  }
  const old = cluster.leader();
  if (old === null) return { seed, ticks: Number.POSITIVE_INFINITY };
  const oldTerm = old.lastTerm;
  cluster.network.partition([[old.id], [...cluster.hosts.keys()].filter((id) => id !== old.id)]);
  const cutAt = cluster.now();
  const deadline = cutAt + MEASURE_LIMIT_TICKS * TICK_UNITS;
  while (cluster.now() < deadline) {
    cluster.step();
    for (const host of cluster.hosts.values()) {
      if (
        host !== old &&
        host.node !== null &&
        host.lastRole === 'leader' &&
        host.lastTerm > oldTerm
      ) {
        return { seed, ticks: (cluster.now() - cutAt) / TICK_UNITS };
      }
    }
  }
  return { seed, ticks: Number.POSITIVE_INFINITY };
}

export function measureElections(
  seeds: readonly number[],
  nodes: number,
  progress: (done: number) => void,
): ElectionSample[] {
  const samples: ElectionSample[] = [];
  let lastReport = performance.now();
  for (const seed of seeds) {
    samples.push(measureElection(seed, nodes));
    if (performance.now() - lastReport >= 1_000) {
      lastReport = performance.now();
      progress(samples.length);
    }
  }
  return samples;
}

export interface ElectionSummary {
  readonly min: number;
  readonly median: number;
  readonly p99: number;
  readonly max: number;
}

export function summarizeElections(ticks: readonly number[]): ElectionSummary {
  const sorted = [...ticks].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    min: sorted[0] ?? Number.NaN,
    median: at(0.5),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}
