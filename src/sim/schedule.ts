import type { Rng } from '../lib/index.ts';
import type { RaftTestingBugs } from './raft.ts';
import { SimulationUsageError } from './errors.ts';
import type { NetworkProfile } from './network.ts';

/** Simulated time: one tick is this many units, so latencies and tick jitter are finer than a tick. */
export const TICK_UNITS = 10;
/** The timing the replica runs with (5 ms per tick). */
export const HEARTBEAT_TICKS = 10;
export const ELECTION_TICKS = 30;
export const MS_PER_TICK = 5;

export interface FaultWeights {
  readonly partition: number;
  readonly crash: number;
  readonly pause: number;
  readonly transfer: number;
  readonly membership: number;
  readonly isolateLeader: number;
}

/**
 * How hostile one run is. Chosen per seed from the seed itself (so a seed replays), or forced by
 * a bug hunt that needs a particular kind of trouble.
 */
export interface FaultProfile {
  readonly name: string;
  readonly network: NetworkProfile;
  /** Gap between two fault actions, in ticks. */
  readonly faultGapTicks: readonly [number, number];
  readonly weights: FaultWeights;
  /** Chance that a node crashes between sending a Ready's early messages and persisting it. */
  readonly crashBeforePersistRate: number;
  readonly downTicks: readonly [number, number];
  readonly partitionTicks: readonly [number, number];
  /** Most nodes down at once (a crash that would exceed it is skipped). */
  readonly maxDown: number;
  /** Mean gap between two client operations, in units. */
  readonly clientGapUnits: number;
  readonly readRatio: number;
  /** Same, for a Ready that changes the vote: the window in which a vote can be forgotten. */
  readonly crashBeforePersistVoteRate?: number;
  /** Chance to crash a node right after it becomes leader (before its no-op spreads). */
  readonly killNewLeaderRate?: number;
  /** Chance to crash a leader right after its commit index moves while it holds uncommitted entries. */
  readonly killLeaderOnCommitRate?: number;
  /**
   * Chance that a crashed node comes back with its disk wiped, started with `--join` under the
   * same id (only while every other member is up and holds its data: a cluster of n tolerates
   * one lost disk at a time, as it tolerates one lost node).
   */
  readonly wipeRate?: number;
  /**
   * A removed node runs on until it applies its own removal or its removal probe tells it (two
   * to four election timeouts after the removal commits), as real nodes do; otherwise the
   * simulator stops it the moment any node applies the removal.
   */
  readonly removedRunUntilFoundOut?: boolean;
  /** Core limits this profile needs whatever the seed draws (e.g. one entry per append). */
  readonly knobs?: Partial<CoreKnobs>;
}

const LAN: NetworkProfile = {
  dropRate: 0.02,
  duplicateRate: 0.02,
  delayRate: 0.03,
  delayMaxUnits: 200,
  latencyMinUnits: 1,
  latencyMaxUnits: 12,
};

const PROFILES: Record<string, FaultProfile> = {
  mixed: {
    name: 'mixed',
    network: LAN,
    faultGapTicks: [10, 60],
    weights: { partition: 3, crash: 3, pause: 1, transfer: 2, membership: 2, isolateLeader: 2 },
    crashBeforePersistRate: 0.002,
    downTicks: [5, 120],
    partitionTicks: [10, 150],
    maxDown: 1,
    clientGapUnits: 12,
    readRatio: 0.2,
    wipeRate: 0.1,
  },
  lossy: {
    name: 'lossy',
    network: { ...LAN, dropRate: 0.15, duplicateRate: 0.1, delayRate: 0.1, delayMaxUnits: 400 },
    faultGapTicks: [20, 80],
    weights: { partition: 2, crash: 1, pause: 1, transfer: 1, membership: 1, isolateLeader: 1 },
    crashBeforePersistRate: 0.002,
    downTicks: [5, 80],
    partitionTicks: [10, 100],
    maxDown: 1,
    clientGapUnits: 15,
    readRatio: 0.25,
  },
  crashy: {
    name: 'crashy',
    network: LAN,
    faultGapTicks: [5, 30],
    weights: { partition: 1, crash: 6, pause: 1, transfer: 1, membership: 1, isolateLeader: 2 },
    crashBeforePersistRate: 0.01,
    downTicks: [2, 60],
    partitionTicks: [10, 60],
    maxDown: 2,
    clientGapUnits: 10,
    readRatio: 0.15,
    wipeRate: 0.15,
  },
  churn: {
    name: 'churn',
    network: LAN,
    faultGapTicks: [5, 25],
    weights: { partition: 1, crash: 1, pause: 0, transfer: 3, membership: 6, isolateLeader: 1 },
    crashBeforePersistRate: 0.002,
    downTicks: [5, 60],
    partitionTicks: [10, 60],
    maxDown: 1,
    clientGapUnits: 10,
    readRatio: 0.2,
    wipeRate: 0.2,
  },
  /**
   * Membership churn with partitions, where removed nodes run on until they find out: they may
   * miss their removal, campaign, still believe they lead, crash and restart on their data.
   */
  lateRemoval: {
    name: 'lateRemoval',
    network: LAN,
    faultGapTicks: [5, 25],
    weights: { partition: 3, crash: 2, pause: 1, transfer: 2, membership: 6, isolateLeader: 2 },
    crashBeforePersistRate: 0.002,
    downTicks: [5, 60],
    partitionTicks: [10, 100],
    maxDown: 1,
    clientGapUnits: 10,
    readRatio: 0.2,
    wipeRate: 0.1,
    removedRunUntilFoundOut: true,
  },
  /** Leaders change all the time with partial replication: the Figure 8 situation of the Raft paper. */
  leaderChurn: {
    name: 'leaderChurn',
    network: { ...LAN, dropRate: 0.05 },
    faultGapTicks: [3, 20],
    weights: { partition: 4, crash: 4, pause: 1, transfer: 2, membership: 0, isolateLeader: 6 },
    crashBeforePersistRate: 0.01,
    downTicks: [2, 50],
    partitionTicks: [5, 60],
    maxDown: 2,
    clientGapUnits: 6,
    readRatio: 0.1,
  },
  /**
   * Figure 8 of the Raft paper: one entry per append and one append in flight, so a new leader's
   * followers acknowledge an old-term entry before its no-op; leaders crash or are cut off right
   * after, and a node holding a newer-term entry that lacks the old one can win next.
   */
  figure8: {
    name: 'figure8',
    network: LAN,
    faultGapTicks: [20, 60],
    weights: { partition: 1, crash: 1, pause: 0, transfer: 1, membership: 0, isolateLeader: 2 },
    crashBeforePersistRate: 0,
    downTicks: [20, 120],
    partitionTicks: [5, 50],
    maxDown: 1,
    clientGapUnits: 10,
    readRatio: 0.05,
    killNewLeaderRate: 0.5,
    killLeaderOnCommitRate: 0.5,
    knobs: { maxMessageBytes: 1, maxInflightMessages: 1 },
  },
  /** Elections with crashes inside the persist window, where a vote kept only in memory is lost. */
  voteCrash: {
    name: 'voteCrash',
    network: LAN,
    faultGapTicks: [3, 20],
    weights: { partition: 2, crash: 3, pause: 0, transfer: 2, membership: 0, isolateLeader: 6 },
    crashBeforePersistRate: 0.01,
    crashBeforePersistVoteRate: 0.5,
    downTicks: [1, 10],
    partitionTicks: [5, 60],
    maxDown: 2,
    clientGapUnits: 10,
    readRatio: 0.1,
  },
};

const RANDOM_PROFILES = [
  'mixed',
  'mixed',
  'lossy',
  'crashy',
  'churn',
  'leaderChurn',
  'lateRemoval',
] as const;

export function profileNames(): string[] {
  return Object.keys(PROFILES);
}

export function profileByName(name: string): FaultProfile {
  const profile = PROFILES[name];
  if (profile === undefined) {
    throw new SimulationUsageError(
      `unknown fault profile "${name}"; known: ${profileNames().join(', ')}`,
    );
  }
  return profile;
}

export function randomProfile(rng: Rng): FaultProfile {
  return profileByName(RANDOM_PROFILES[rng.int(0, RANDOM_PROFILES.length)]!);
}

/** Core limits and host policies drawn per seed, so small windows and tiny messages get exercised. */
export interface CoreKnobs {
  readonly maxMessageBytes: number;
  readonly maxInflightMessages: number;
  readonly maxUncommittedBytes: number;
  readonly maxCommittedBytesPerReady: number;
  readonly snapshotEveryEntries: number;
  readonly snapshotRetainEntries: number;
  /** Readies the host may have handed to its disk at once (0: persist synchronously in the step). */
  readonly maxInFlightReadies: number;
  /** Longest time one disk write takes, in units, when persisting asynchronously. */
  readonly persistDelayMaxUnits: number;
}

export function randomKnobs(rng: Rng): CoreKnobs {
  const pick = <T>(values: readonly T[]): T => values[rng.int(0, values.length)]!;
  return {
    maxMessageBytes: pick([64, 256, 4096, 1 << 20]),
    maxInflightMessages: pick([1, 2, 4, 16, 256]),
    maxUncommittedBytes: pick([1024, 1 << 16]),
    maxCommittedBytesPerReady: pick([64, 1024, 1 << 20]),
    snapshotEveryEntries: pick([10, 30, 100, 1000]),
    snapshotRetainEntries: pick([0, 2, 10, 50]),
    maxInFlightReadies: pick([0, 0, 1, 4]),
    persistDelayMaxUnits: pick([2, 10, 30]),
  };
}

/** The deliberate core bugs the checker must catch (RaftTestingBugs), by CLI name. */
export const BUG_NAMES = [
  'commitPreviousTermByCounting',
  'voteWithoutLogCheck',
  'replyBeforePersistingVote',
] as const;
export type BugName = (typeof BUG_NAMES)[number];

export function bugsFor(name: string): RaftTestingBugs {
  if (!(BUG_NAMES as readonly string[]).includes(name)) {
    throw new SimulationUsageError(`unknown bug "${name}"; known: ${BUG_NAMES.join(', ')}`);
  }
  return { [name]: true };
}

/** The fault profile and cluster size most likely to expose each bug. */
export const BUG_HUNT: Record<
  BugName,
  { readonly profile: string; readonly nodes: number; readonly steps: number }
> = {
  commitPreviousTermByCounting: { profile: 'figure8', nodes: 3, steps: 10_000 },
  voteWithoutLogCheck: { profile: 'leaderChurn', nodes: 5, steps: 2_000 },
  replyBeforePersistingVote: { profile: 'voteCrash', nodes: 3, steps: 5_000 },
};
