/**
 * One engine-simulation run: N engine replicas (engine-host.ts) on the simulator's faulty network
 * (world.ts), a workload playing dispatcher, clients and workers (workload.ts), and a checker
 * that compares replicas after every applied entry (checker.ts).
 *
 * Phases: (1) faults and workload until the workload issued `commands` distinct commands;
 * (2) heal every fault, restart every node, and run until every replica has durably applied the
 * leader's whole log; (3) compare the replicas' keyspaces byte for byte, run the engine invariants,
 * and check that every attempt a worker closed has exactly one closing event in its history.
 * Everything derives from the seed, so `replay` reruns the exact same run.
 */
import { SeededRng } from '../../lib/index.ts';
import type { Rng } from '../../lib/index.ts';
import { keys } from '../../engine/index.ts';
import type { EngineLimits, EngineResult } from '../../engine/index.ts';
import type { Entry } from '../raft.ts';
import { ELECTION_TICKS, TICK_UNITS } from '../schedule.ts';
import { EngineChecker } from './checker.ts';
import { engineFactory } from './engine-bugs.ts';
import type { EngineBugName } from './engine-bugs.ts';
import type {
  ApplyKnobs,
  ApplyObserver,
  EngineHost,
  HostCounters,
  ProposalOutcome,
} from './engine-host.ts';
import { EngineSimUsageError, EngineSimViolationError } from './errors.ts';
import { Workload } from './workload.ts';
import type { WorkloadStats } from './workload.ts';
import { ENGINE_FAULT_PROFILES, EngineWorld } from './world.ts';
import type { EngineFaultProfile } from './world.ts';

export const DEFAULT_COMMANDS = 300;
/** Mean gap between two client actions, in units. */
const CLIENT_GAP_UNITS = 12;
/** The fault phase ends by then even if the workload has not issued its commands (a stuck cluster). */
const FAULT_PHASE_UNITS_PER_COMMAND = 8 * CLIENT_GAP_UNITS;
/** After healing, every replica must have applied everything committed within this long. */
const CONVERGE_TICKS = 40 * ELECTION_TICKS;
/** Commits between two full engine-invariant scans (a scan reads the whole state). */
const INVARIANT_EVERY_COMMITS = 20;
const TRACE_TAIL_LINES = 40;

export interface EngineRunOptions {
  readonly seed: number;
  /** Distinct commands the workload issues in the fault phase; DEFAULT_COMMANDS when absent. */
  readonly commands?: number;
  /** 3 or 5; drawn from the seed when absent. */
  readonly nodes?: number;
  /** A fault profile name (mixed, lossy, crashy, calm); drawn from the seed when absent. */
  readonly profile?: string;
  /** A deliberately broken engine, to show the checker catches it (tests and the CLI only). */
  readonly engineBug?: EngineBugName;
  /** Never start a second run under a used workflow id: hunts past FINDINGS.md 1 while it is open. */
  readonly avoidIdReuse?: boolean;
}

export interface EngineRunFailure {
  readonly property: string;
  readonly message: string;
  readonly traceTail: readonly string[];
}

export interface EngineRunResult {
  readonly seed: number;
  readonly nodes: number;
  readonly profile: string;
  readonly knobs: ApplyKnobs;
  readonly engineLimits: Partial<EngineLimits>;
  readonly commands: number;
  readonly workload: WorkloadStats;
  readonly checks: EngineChecker['counts'] & FinalFigures;
  readonly faults: string;
  readonly hosts: HostCounters;
  readonly ticks: number;
  readonly failure: EngineRunFailure | null;
  readonly replay: string;
}

export function replayCommand(options: EngineRunOptions): string {
  const parts = ['npx tsx src/sim/engine/cli.ts', `--seed ${options.seed}`];
  if (options.commands !== undefined) parts.push(`--commands ${options.commands}`);
  if (options.nodes !== undefined) parts.push(`--nodes ${options.nodes}`);
  if (options.profile !== undefined) parts.push(`--profile ${options.profile}`);
  if (options.engineBug !== undefined) parts.push(`--engine-bug ${options.engineBug}`);
  if (options.avoidIdReuse === true) parts.push('--avoid-id-reuse');
  return parts.join(' ');
}

function profileFor(name: string | undefined, rng: Rng): EngineFaultProfile {
  if (name === undefined)
    return ENGINE_FAULT_PROFILES[rng.int(0, ENGINE_FAULT_PROFILES.length - 1)]!;
  const profile = ENGINE_FAULT_PROFILES.find((candidate) => candidate.name === name);
  if (profile === undefined) {
    throw new EngineSimUsageError(
      `unknown fault profile "${name}"; known: ${ENGINE_FAULT_PROFILES.map((p) => p.name).join(', ')}`,
    );
  }
  return profile;
}

function knobsFor(rng: Rng): ApplyKnobs {
  const pick = <T>(values: readonly T[]): T => values[rng.int(0, values.length)]!;
  return {
    maxEntriesPerRun: pick([1, 4, 16, 64]),
    applyDelayMaxUnits: pick([0, 2, 5]),
    commitDelayMaxUnits: pick([1, 5, 15]),
    snapshotEveryEntries: pick([25, 60, 200, 1_000_000]),
    snapshotRetainEntries: pick([0, 5, 30]),
  };
}

/** Mostly the defaults; sometimes tight limits, so the engine's limit paths run under faults too. */
function engineLimitsFor(rng: Rng): Partial<EngineLimits> {
  if (rng.next() < 0.6) return {};
  const pick = <T>(values: readonly T[]): T => values[rng.int(0, values.length)]!;
  return {
    maxHistoryEvents: pick([2_000, 40, 12]),
    maxBufferedSignals: pick([100, 2]),
    maxStepsPerInstance: pick([10_000, 30]),
    maxTasksPerActivation: pick([100, 1]),
    maxPrunePerCommand: pick([100, 1]),
    maxPayloadBytes: pick([256 * 1024, 200]),
    maxInstanceStateBytes: pick([2 * 1024 * 1024, 3_000]),
    definitionCacheSize: pick([256, 1]),
  };
}

/** Runs one seed: faults and workload, then heal and converge, then the final comparisons. */
export async function runEngineSeed(options: EngineRunOptions): Promise<EngineRunResult> {
  const setupRng = new SeededRng(options.seed ^ 0x5eed);
  const nodes = options.nodes ?? (setupRng.next() < 0.75 ? 3 : 5);
  const profile = profileFor(options.profile, setupRng);
  const knobs = knobsFor(setupRng);
  const engineLimits = engineLimitsFor(setupRng);
  const commands = options.commands ?? DEFAULT_COMMANDS;
  const checker = new EngineChecker(INVARIANT_EVERY_COMMITS);

  let workload: Workload | null = null;
  let world: EngineWorld | null = null;
  const observer: ApplyObserver = {
    onApplied: (host: EngineHost, entry: Entry, result: EngineResult | null, stateHash: string) => {
      checker.onApplied(host, entry, result, stateHash);
    },
    onRejectionWrote: (host, entry, detail) => checker.onRejectionWrote(host, entry, detail),
    onCommitted: (host) => checker.onCommitted(host),
    onRestored: (host, why) => {
      checker.onRestored(host, why);
    },
    onProposalResolved: (token: number, outcome: ProposalOutcome) =>
      workload?.onProposalResolved(token, outcome),
    note: (text) => world?.note(text),
  };
  const makeEngine = engineFactory(engineLimits, options.engineBug);
  world = new EngineWorld({ seed: options.seed, nodes, profile, knobs, observer, makeEngine });
  workload = new Workload(
    world,
    new SeededRng(world.rng.int(0, 0x7fffffff)),
    options.avoidIdReuse === true,
  );
  const extra: FinalFigures = {
    completedHistoriesChecked: 0,
    finalKeys: 0,
    finalApplied: 0,
    finalStatuses: {},
  };

  let failure: EngineRunFailure | null = null;
  try {
    world.startFaults();
    workload.start(CLIENT_GAP_UNITS);
    const issued = (): number =>
      workload.stats.byType.size === 0
        ? 0
        : [...workload.stats.byType.values()].reduce((a, b) => a + b, 0);
    await world.runUntil(commands * FAULT_PHASE_UNITS_PER_COMMAND, () => issued() >= commands);
    workload.active = false;
    world.healAll();
    const deadline = world.now() + CONVERGE_TICKS * TICK_UNITS;
    await world.runUntil(deadline, () => converged(world));
    if (!converged(world)) {
      checker.fail(
        'Convergence',
        `replicas did not converge within ${CONVERGE_TICKS} ticks after healing: ${describeHosts(world)}`,
      );
    }
    Object.assign(extra, await finalChecks(world, checker));
  } catch (error) {
    failure = {
      property: error instanceof EngineSimViolationError ? error.property : 'Crash',
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      traceTail: world.trace.slice(-TRACE_TAIL_LINES),
    };
    if (
      !(error instanceof EngineSimViolationError) &&
      error instanceof Error &&
      error.stack !== undefined
    ) {
      failure = { ...failure, message: error.stack };
    }
  }
  return {
    seed: options.seed,
    nodes,
    profile: profile.name,
    knobs,
    engineLimits,
    commands,
    workload: workload.stats,
    checks: { ...checker.counts, ...extra },
    faults: world.faults.describe(),
    hosts: world.counters,
    ticks: world.ticks,
    failure,
    replay: replayCommand(options),
  };
}

/** Every node is up, agrees on the leader's commit index, and has durably applied all of it. */
function converged(world: EngineWorld): boolean {
  const leader = world.leader();
  if (leader?.node == null) return false;
  const status = leader.node.status();
  if (status.commit !== status.lastIndex) return false;
  for (const host of world.hosts) {
    if (host.node === null || host.applyBacklog > 0) return false;
    if (host.durable.applied !== status.commit || host.node.status().commit !== status.commit)
      return false;
  }
  return true;
}

function describeHosts(world: EngineWorld): string {
  return world.hosts
    .map((host) => {
      const status = host.node?.status();
      return `${host.id}: ${status === undefined ? 'down' : `${status.role} term ${status.term} commit ${status.commit} last ${status.lastIndex}`} applied ${host.durable.applied} backlog ${host.applyBacklog}`;
    })
    .join('; ');
}

/** Byte-for-byte the same keyspace everywhere, the engine invariants, and exactly-once histories. */
/** What the end state looked like: evidence of how far the workflows got. */
export interface FinalFigures {
  completedHistoriesChecked: number;
  finalKeys: number;
  finalApplied: number;
  /** Instances by status at the end (top-level and children). */
  finalStatuses: Record<string, number>;
}

async function finalChecks(world: EngineWorld, checker: EngineChecker): Promise<FinalFigures> {
  const [first, ...rest] = world.hosts;
  const reference = await first!.durable.entries();
  const decoder = new TextDecoder();
  for (const host of rest) {
    const entries = await host.durable.entries();
    if (host.durable.hash.value !== first!.durable.hash.value) {
      checker.fail(
        'Same State',
        `at the end ${host.id} hash ${host.durable.hash.value} vs ${first!.id} ${first!.durable.hash.value}`,
      );
    }
    const length = Math.max(entries.length, reference.length);
    for (let i = 0; i < length; i++) {
      const [key, value] = entries[i] ?? ['<none>', new Uint8Array()];
      const [refKey, refValue] = reference[i] ?? ['<none>', new Uint8Array()];
      if (key !== refKey || !sameBytes(value, refValue)) {
        checker.fail(
          'Same State',
          `at the end ${host.id} has ${key}=${decoder.decode(value)} where ${first!.id} has ${refKey}=${decoder.decode(refValue)}`,
        );
      }
    }
  }
  await checker.checkInvariants(first!.durable.kv, `${first!.id} at the end`);
  const completedHistoriesChecked = await checker.checkCompletedHistories(first!.durable.kv);
  const finalStatuses: Record<string, number> = {};
  for (const [key, value] of reference) {
    if (!key.startsWith(keys.instancesAll())) continue;
    const { status } = JSON.parse(decoder.decode(value)) as { status: string };
    finalStatuses[status] = (finalStatuses[status] ?? 0) + 1;
  }
  return {
    completedHistoriesChecked,
    finalKeys: reference.length,
    finalApplied: first!.durable.applied,
    finalStatuses,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
