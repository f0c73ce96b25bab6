import { AssertionFailedError, SeededRng } from '../lib/index.ts';
import type { RaftTestingBugs } from './raft.ts';
import { Cluster } from './cluster.ts';
import { InvariantViolationError } from './errors.ts';
import { Nemesis } from './nemesis.ts';
import type { HostBugs, NodeHost } from './node-host.ts';
import {
  BUG_HUNT,
  ELECTION_TICKS,
  TICK_UNITS,
  bugsFor,
  profileByName,
  randomKnobs,
  randomProfile,
} from './schedule.ts';
import type { BugName, CoreKnobs, FaultProfile } from './schedule.ts';
import type { RunStats } from './stats.ts';
import { Workload } from './workload.ts';

/** After faults stop, a leader must exist within this many ticks ... */
export const LIVENESS_LEADER_TICKS = 10 * ELECTION_TICKS;
/**
 * ... and every live member must apply a fresh entry, making progress (some node commits or
 * applies more) at least once in every window of this many ticks: a leader may first have to
 * replicate a long backlog one entry per round trip (the smallest message and window limits)...
 */
export const LIVENESS_COMMIT_TICKS = 20 * ELECTION_TICKS;
/** ... but all within this many ticks in total. */
export const LIVENESS_TOTAL_TICKS = 20 * LIVENESS_COMMIT_TICKS;
/** How often the liveness phase retries its barrier proposal while none is in flight. */
const BARRIER_RETRY_TICKS = 5;
export const TRACE_TAIL_LINES = Number(process.env['SIM_TRACE'] ?? 40);
export const DEFAULT_STEPS = 2_000;

export interface RunOptions {
  readonly seed: number;
  /** Events in the fault phase; DEFAULT_STEPS, or the bug hunt's own count, when absent. */
  readonly steps?: number;
  /** 3 or 5; drawn from the seed when absent. */
  readonly nodes?: number;
  readonly bug?: BugName;
  /** A fault profile name; drawn from the seed (or the bug's hunt profile) when absent. */
  readonly profile?: string;
  /** A deliberately broken host, for showing the read checker works (tests only). */
  readonly hostBugs?: HostBugs;
}

export interface RunFailure {
  readonly invariant: string;
  readonly message: string;
  readonly traceTail: readonly string[];
  readonly atStep: number;
}

export interface RunResult {
  readonly seed: number;
  readonly nodes: number;
  readonly profile: string;
  readonly knobs: CoreKnobs;
  readonly stats: RunStats;
  readonly failure: RunFailure | null;
  readonly replay: string;
}

interface Setup {
  steps: number;
  nodes: number;
  profile: FaultProfile;
  knobs: CoreKnobs;
  bugs: RaftTestingBugs | undefined;
}

/** Everything about a run that is not the event stream is drawn from its own stream of the seed. */
function setup(options: RunOptions): Setup {
  const rng = new SeededRng((options.seed ^ 0x5eed5eed) >>> 0);
  const drawnNodes = rng.next() < 0.5 ? 3 : 5;
  const drawnProfile = randomProfile(rng);
  const knobs = randomKnobs(rng);
  const hunt = options.bug === undefined ? undefined : BUG_HUNT[options.bug];
  const profile =
    options.profile !== undefined
      ? profileByName(options.profile)
      : hunt !== undefined
        ? profileByName(hunt.profile)
        : drawnProfile;
  const nodes = options.nodes ?? hunt?.nodes ?? drawnNodes;
  const steps = options.steps ?? hunt?.steps ?? DEFAULT_STEPS;
  return {
    steps,
    nodes,
    profile,
    knobs: { ...knobs, ...profile.knobs },
    bugs: options.bug === undefined ? undefined : bugsFor(options.bug),
  };
}

export function replayCommand(
  options: RunOptions,
  steps: number,
  nodes: number,
  profile: string,
): string {
  const parts = [
    'npm run sim --',
    `--seed ${options.seed}`,
    `--steps ${steps}`,
    `--nodes ${nodes}`,
    `--profile ${profile}`,
  ];
  if (options.bug !== undefined) parts.push(`--bug ${options.bug}`);
  return parts.join(' ');
}

/** Runs one seed: the fault phase for `steps` events, then the liveness phase. */
export function runSeed(options: RunOptions): RunResult {
  const { steps, nodes, profile, knobs, bugs } = setup(options);
  const cluster = new Cluster({
    seed: options.seed,
    nodes,
    profile,
    knobs,
    ...(bugs ? { bugs } : {}),
    ...(options.hostBugs ? { hostBugs: options.hostBugs } : {}),
  });
  let failure: RunFailure | null = null;
  try {
    const nemesis = new Nemesis(cluster);
    const workload = new Workload(cluster);
    nemesis.start();
    workload.start();
    for (let step = 0; step < steps; step++) cluster.step();
    nemesis.stop();
    workload.active = false;
    nemesis.healAll();
    checkLiveness(cluster, workload);
  } catch (error) {
    failure = describeFailure(error, cluster);
  }
  cluster.stats.elections = cluster.checker.elections;
  cluster.stats.commits = cluster.checker.highestCommitted;
  cluster.stats.ticks = cluster.ticks;
  return {
    seed: options.seed,
    nodes,
    profile: profile.name,
    knobs,
    stats: cluster.stats,
    failure,
    replay: replayCommand(options, steps, nodes, profile.name),
  };
}

function describeFailure(error: unknown, cluster: Cluster): RunFailure {
  const traceTail = cluster.trace.tail(TRACE_TAIL_LINES);
  const atStep = cluster.stats.steps;
  if (error instanceof InvariantViolationError)
    return { invariant: error.invariant, message: error.message, traceTail, atStep };
  if (error instanceof AssertionFailedError)
    return { invariant: 'Assertion', message: error.message, traceTail, atStep };
  const message =
    error instanceof Error
      ? `${error.name}: ${error.message}\n${error.stack ?? ''}`
      : String(error);
  return { invariant: 'Unexpected Error', message, traceTail, atStep };
}

/** Runs events until `done()` or the simulated clock passes `ticks` more ticks. */
function runUntil(cluster: Cluster, ticks: number, done: () => boolean): boolean {
  const deadline = cluster.now() + ticks * TICK_UNITS;
  while (cluster.now() <= deadline) {
    if (done()) return true;
    cluster.step();
  }
  return done();
}

/** Like runUntil, but gives up only after `stallTicks` without any progress (see Progress). */
function runWhileProgressing(
  cluster: Cluster,
  stallTicks: number,
  totalTicks: number,
  done: () => boolean,
): boolean {
  const deadline = cluster.now() + totalTicks * TICK_UNITS;
  const progress = new Progress();
  progress.moved(cluster);
  let lastProgressAt = cluster.now();
  while (cluster.now() <= deadline) {
    if (done()) return true;
    cluster.step();
    if (progress.moved(cluster)) lastProgressAt = cluster.now();
    else if (cluster.now() - lastProgressAt > stallTicks * TICK_UNITS) return false;
  }
  return done();
}

/**
 * Progress after healing: something commits or applies, or the current leader's followers
 * match more of its log. The last matters when a new leader must first replicate a long tail of
 * older-term entries (one per round trip with the smallest limits) before its no-op can commit
 * them. A change of leader alone is not progress.
 */
class Progress {
  private best = -1;
  private leaderKey = '';
  private leaderMatch = -1;

  moved(cluster: Cluster): boolean {
    let moved = false;
    let applied = cluster.checker.highestCommitted;
    for (const host of cluster.hosts.values()) applied += host.sm.applied;
    if (applied > this.best) {
      this.best = applied;
      moved = true;
    }
    const leader = cluster.leader()?.node?.status();
    if (leader?.progress == null) return moved;
    let match = 0;
    for (const peer of leader.progress.values()) match += peer.match;
    const key = `${leader.id}@${leader.term}`;
    if (key !== this.leaderKey) {
      this.leaderKey = key;
      this.leaderMatch = match;
    } else if (match > this.leaderMatch) {
      this.leaderMatch = match;
      moved = true;
    }
    return moved;
  }
}

function checkLiveness(cluster: Cluster, workload: Workload): void {
  if (!runUntil(cluster, LIVENESS_LEADER_TICKS, () => cluster.leader() !== null)) {
    cluster.checker.fail(
      'Liveness',
      `no leader within ${LIVENESS_LEADER_TICKS} ticks after every fault was healed`,
    );
  }
  let barrierIndex = -1;
  let inFlight = false;
  let attempt = 0;
  let nextAttemptAt = cluster.now();
  cluster.proposalListener = (proposal, acknowledged) => {
    if (!proposal.label.startsWith('barrier')) return;
    inFlight = false;
    if (acknowledged) barrierIndex = proposal.index;
  };
  const everyoneApplied = (): boolean => {
    if (barrierIndex < 0) {
      if (!inFlight && cluster.now() >= nextAttemptAt) {
        const leader = cluster.leader();
        nextAttemptAt = cluster.now() + BARRIER_RETRY_TICKS * TICK_UNITS;
        if (leader !== null) inFlight = workload.propose(leader, `barrier${++attempt}`);
      }
      return false;
    }
    return liveMembers(cluster).every((host) => host.sm.applied >= barrierIndex);
  };
  if (!runWhileProgressing(cluster, LIVENESS_COMMIT_TICKS, LIVENESS_TOTAL_TICKS, everyoneApplied)) {
    const lagging = liveMembers(cluster)
      .map((h) => `${h.id}:applied=${h.sm.applied}`)
      .join(' ');
    cluster.checker.fail(
      'Liveness',
      `after healing, a fresh proposal did not commit and apply everywhere (no commit, apply or replication progress for ${LIVENESS_COMMIT_TICKS} ticks, or over ${LIVENESS_TOTAL_TICKS} in all; barrier index ${barrierIndex}, attempts ${attempt}; ${lagging})`,
    );
  }
  for (const host of cluster.liveHosts()) {
    // A removed node that has not found out yet may hold proposals as a stale leader; the
    // replica fails them by their deadline or when the node stops.
    if (host.pendingProposals > 0 && !host.removalPending) {
      cluster.checker.fail(
        'Liveness',
        `${host.id} still has ${host.pendingProposals} proposal(s) neither committed nor reported failed`,
      );
    }
  }
}

function liveMembers(cluster: Cluster): NodeHost[] {
  const conf = cluster.committedConf;
  return cluster
    .liveHosts()
    .filter((h) => conf.voters.includes(h.id) || conf.learners.includes(h.id));
}
