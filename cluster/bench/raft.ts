/**
 * `npm run bench -- raft`: commit throughput and latency of 100-byte Put proposals on a 3-node
 * cluster at several concurrencies, then failover time (kill -9 the leader under sequential
 * writes → first acknowledged write). With --vs-etcd the same code drives a 3-member etcd
 * cluster in the same invocation and the ratios Baton/etcd are printed.
 */
import { randomBytes } from 'node:crypto';
import { WriteLoad } from '../lib/load.ts';
import { CpuMeter } from '../lib/process-cpu.ts';
import { median, sleep, summarizeMs } from '../lib/stats.ts';
import {
  machine,
  printTable,
  round,
  wantsPart,
  type Bench,
  type BenchOptions,
  type BenchResult,
} from './bench.ts';
import { ensureEtcdInstalled, ETCD_DEFAULT_TIMERS, type EtcdTimers } from './etcd/etcd.ts';
import {
  BatonTarget,
  EtcdTarget,
  type BenchTarget,
  type ClientSettings,
  type LeaderCounters,
} from './targets.ts';

export const VALUE_BYTES = 100;

/** The same client settings for both systems. */
export const THROUGHPUT_CLIENT: ClientSettings = {
  channels: { channelsPerEndpoint: 2 },
  retry: { attemptDeadlineMs: 5_000, budgetMs: 30_000 },
};
export const FAILOVER_CLIENT: ClientSettings = {
  channels: { channelsPerEndpoint: 1 },
  retry: { attemptDeadlineMs: 100, budgetMs: 30_000, backoffMinMs: 5, backoffMaxMs: 20 },
};
export const ETCD_TUNED_TIMERS: EtcdTimers = { heartbeatMs: 50, electionMs: 250 };
/** Writes flow this long before each kill, so the kill lands on a cluster under load. */
export const FAILOVER_WARM_MS = 300;
/** Writers of the unmeasured prewarm before the first level: enough to reach V8's optimizing tier quickly. */
export const PREWARM_CONCURRENCY = 64;

/** What one level measured: one round's figures, or (in a row) their medians over the rounds. */
interface LevelFigures {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The largest over the rounds. */
  maxMs: number;
  /** Totals over the rounds. */
  acknowledged: number;
  failed: number;
}

/** One measured round of one level on one system. */
interface ThroughputSample extends LevelFigures {
  diagnostics: Record<string, number | string | boolean | null>;
}

export interface ThroughputRow extends BenchResult, LevelFigures {
  kind: 'throughput';
  system: string;
  concurrency: number;
  /** Each round's ops/s, in the order run. */
  roundsOpsPerSecond: number[];
}

interface FailoverRow extends BenchResult {
  kind: 'failover';
  system: string;
  trials: number;
  minMs: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  samplesMs: number[];
  /** Attempts that failed fast (refused: UNAVAILABLE) or were held until their deadline. */
  attemptsRefused: number;
  attemptsTimedOut: number;
}

/**
 * Every level on every target, in rounds that alternate the order of the targets (ABBA…), the
 * target not being measured frozen. Each row holds the medians over its rounds, so a drift of
 * the machine's speed during the run hits every system alike instead of skewing the ratio.
 */
export async function throughput(
  targets: readonly BenchTarget[],
  options: BenchOptions,
): Promise<ThroughputRow[]> {
  const value = randomBytes(VALUE_BYTES);
  const rows: ThroughputRow[] = [];
  for (const target of targets) target.pause();
  if (options.prewarmS > 0)
    for (const target of targets) await prewarm(target, options.prewarmS, value);
  for (const concurrency of options.concurrencies) {
    const samples = new Map<BenchTarget, ThroughputSample[]>(targets.map((t) => [t, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        target.resume();
        try {
          // The first round warms the JIT too; later rounds only settle the thawed cluster.
          const warmupS = round === 0 ? options.warmupS : Math.min(1, options.warmupS);
          const sample = await measureLevel(target, concurrency, warmupS, options.durationS, value);
          samples.get(target)!.push(sample);
          const tag = options.rounds > 1 ? ` round ${round + 1}/${options.rounds}` : '';
          console.log(
            `  ${target.label} c=${concurrency}${tag}: ${sample.opsPerSecond} ops/s, ` +
              `p50 ${sample.p50Ms} ms, p99 ${sample.p99Ms} ms, failed ${sample.failed}`,
          );
        } finally {
          target.pause();
        }
      }
    }
    for (const target of targets)
      rows.push(summarizeRounds(target.label, concurrency, samples.get(target)!));
  }
  for (const target of targets) target.resume();
  return rows;
}

/** Runs PREWARM_CONCURRENCY writers for `seconds`, unmeasured, so V8 compiles the hot paths. */
async function prewarm(target: BenchTarget, seconds: number, value: Uint8Array): Promise<void> {
  target.resume();
  try {
    await target.waitForLeader();
    const result = await new WriteLoad({
      put: (key, v) => target.put(key, v),
      makeValue: () => value,
      concurrency: PREWARM_CONCURRENCY,
      keyPrefix: 'prewarm',
    }).runFor(seconds * 1_000);
    console.log(
      `  ${target.label} prewarm: ${result.acknowledgedCount} writes at c=${PREWARM_CONCURRENCY} in ${seconds} s (not measured)`,
    );
  } finally {
    target.pause();
  }
}

async function measureLevel(
  target: BenchTarget,
  concurrency: number,
  warmupS: number,
  durationS: number,
  value: Uint8Array,
): Promise<ThroughputSample> {
  const put = (key: string, v: Uint8Array): Promise<void> => target.put(key, v);
  const makeValue = (): Uint8Array => value;
  await target.waitForLeader();
  await new WriteLoad({ put, makeValue, concurrency, keyPrefix: `warm-c${concurrency}` }).runFor(
    warmupS * 1_000,
  );
  // Leadership can move while a freshly started cluster settles: measure against the leader
  // of now, not a node that has since become a follower (each write would be forwarded).
  await target.waitForLeader();
  const before = await target.counters?.();
  const cpu = new CpuMeter(target.processIds());
  const result = await new WriteLoad({
    put,
    makeValue,
    concurrency,
    keyPrefix: `c${concurrency}`,
  }).runFor(durationS * 1_000);
  const cpuPerWrite = cpu.perOperation(result.acknowledgedCount);
  const after = await target.counters?.();
  const latency = summarizeMs(result.latenciesMs);
  return {
    opsPerSecond: round(result.acknowledgedCount / (result.elapsedMs / 1_000), 0),
    p50Ms: round(latency.p50Ms, 3),
    p99Ms: round(latency.p99Ms, 3),
    maxMs: round(latency.maxMs, 3),
    acknowledged: result.acknowledgedCount,
    failed: result.failedCount,
    diagnostics: {
      ...leaderDiagnostics(before, after),
      // Every node's CPU (µs a write), largest first, and the load generator's: where a
      // difference in throughput comes from when the two cores are the limit.
      nodeCpuUsPerWrite: cpuPerWrite?.processesUs.join('/') ?? null,
      clientCpuUsPerWrite: cpuPerWrite?.selfUs ?? null,
    },
  };
}

function summarizeRounds(
  system: string,
  concurrency: number,
  samples: readonly ThroughputSample[],
): ThroughputRow {
  const ops = samples.map((s) => s.opsPerSecond);
  // The leader's diagnostics of the round whose throughput is the median one.
  const medianRound = [...samples].sort((a, b) => a.opsPerSecond - b.opsPerSecond)[
    Math.floor((samples.length - 1) / 2)
  ]!;
  return {
    kind: 'throughput',
    system,
    concurrency,
    opsPerSecond: round(median(ops), 0),
    p50Ms: round(median(samples.map((s) => s.p50Ms)), 3),
    p99Ms: round(median(samples.map((s) => s.p99Ms)), 3),
    maxMs: Math.max(...samples.map((s) => s.maxMs)),
    acknowledged: samples.reduce((sum, s) => sum + s.acknowledged, 0),
    failed: samples.reduce((sum, s) => sum + s.failed, 0),
    roundsOpsPerSecond: ops,
    ...medianRound.diagnostics,
  };
}

/**
 * What the leader did during one level (Baton only): mean disk append (fsync) time and entries
 * per append batch, mean apply time. Explains a throughput figure; null when not measurable.
 */
function leaderDiagnostics(
  before: LeaderCounters | undefined,
  after: LeaderCounters | undefined,
): Record<string, number | string | boolean | null> {
  if (before === undefined || after === undefined) return {};
  if (before.leader !== after.leader) {
    // Another node's counters: the deltas would mean nothing. The change itself is the finding.
    return {
      leaderChanged: true,
      leaderAppendMeanMs: null,
      leaderAppendBatchMean: null,
      leaderApplyMeanMs: null,
    };
  }
  const delta = (name: string): number =>
    (after.values[name] ?? Number.NaN) - (before.values[name] ?? Number.NaN);
  const mean = (sum: string, count: string, scale: number): number | null => {
    const value = (delta(sum) / delta(count)) * scale;
    return Number.isFinite(value) ? round(value, 3) : null;
  };
  return {
    leaderChanged: false,
    leaderAppendMeanMs: mean(
      'baton_raft_append_seconds_sum',
      'baton_raft_append_seconds_count',
      1_000,
    ),
    leaderAppendBatchMean: mean(
      'baton_raft_append_batch_entries_sum',
      'baton_raft_append_batch_entries_count',
      1,
    ),
    leaderApplyMeanMs: mean(
      'baton_raft_apply_seconds_sum',
      'baton_raft_apply_seconds_count',
      1_000,
    ),
  };
}

/**
 * Sequential writes that can be held between two calls, so that the first write started after
 * a kill is known exactly.
 */
class SequentialWriter {
  private stopped = false;
  private held = false;
  private idle: (() => void) | undefined;
  private release: (() => void) | undefined;
  private firstAckAfter: { afterNs: bigint; resolve: (ns: bigint) => void } | undefined;
  private readonly loop: Promise<void>;
  private sequence = 0;
  failures = 0;

  constructor(
    private readonly target: BenchTarget,
    private readonly value: Uint8Array,
    private readonly prefix: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.held) {
        await new Promise<void>((resolve) => {
          this.release = resolve;
          this.idle?.();
        });
        continue;
      }
      const startNs = process.hrtime.bigint();
      try {
        await this.target.put(`${this.prefix}-${this.sequence++}`, this.value);
        const waiter = this.firstAckAfter;
        if (waiter !== undefined && startNs >= waiter.afterNs) {
          this.firstAckAfter = undefined;
          waiter.resolve(process.hrtime.bigint());
        }
      } catch {
        this.failures++;
      }
    }
  }

  /** Resolves once no call is in flight; writes stay held until `resume`. */
  hold(): Promise<void> {
    this.held = true;
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  /** Resumes and resolves with the time the first write started after `afterNs` was acknowledged. */
  resumeAndAwaitAck(afterNs: bigint): Promise<bigint> {
    const acked = new Promise<bigint>((resolve) => {
      this.firstAckAfter = { afterNs, resolve };
    });
    this.held = false;
    this.release?.();
    return acked;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.held = false;
    this.release?.();
    await this.loop;
  }
}

async function failover(target: BenchTarget, trials: number): Promise<FailoverRow> {
  const value = randomBytes(VALUE_BYTES);
  const samplesMs: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    await target.waitForLeader();
    const writer = new SequentialWriter(target, value, `failover-${trial}`);
    await sleep(FAILOVER_WARM_MS);
    await writer.hold();
    // Asked again with writes held: leadership may have moved during the warm-up, and killing a
    // follower would time no election at all (one such trial measured 8 ms).
    const leader = await target.waitForLeader();
    const killNs = process.hrtime.bigint();
    const exited = target.kill(leader);
    const ackNs = await writer.resumeAndAwaitAck(killNs);
    samplesMs.push(Number(ackNs - killNs) / 1e6);
    await writer.stop();
    await exited;
    await target.restart(leader);
    await target.waitCaughtUp();
    console.log(
      `  ${target.label} trial ${trial + 1}/${trials}: killed ${leader}, first ack after ${round(samplesMs.at(-1)!)} ms`,
    );
  }
  const summary = summarizeMs(samplesMs);
  const failed = target.failedAttempts();
  return {
    kind: 'failover',
    system: target.label,
    trials,
    minMs: round(summary.minMs),
    medianMs: round(summary.p50Ms),
    p99Ms: round(summary.p99Ms),
    maxMs: round(summary.maxMs),
    samplesMs: samplesMs.map((sample) => round(sample)),
    attemptsRefused: failed['UNAVAILABLE'] ?? 0,
    attemptsTimedOut: failed['DEADLINE_EXCEEDED'] ?? 0,
  };
}

/** Starts the targets one after another (each fully up before the next), then runs `body`. */
export async function withTargets<T>(
  starters: ReadonlyArray<() => Promise<BenchTarget>>,
  body: (targets: BenchTarget[]) => Promise<T>,
): Promise<T> {
  const targets: BenchTarget[] = [];
  try {
    for (const start of starters) {
      const target = await start();
      targets.push(target);
      // Frozen while the next one starts, so its start-up does not compete with this one's.
      target.pause();
    }
    return await body(targets);
  } finally {
    for (const target of targets) await target.shutdown();
  }
}

async function withTarget<T>(
  start: () => Promise<BenchTarget>,
  body: (target: BenchTarget) => Promise<T>,
): Promise<T> {
  const target = await start();
  try {
    return await body(target);
  } finally {
    await target.shutdown();
  }
}

export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : round(a / b, 3);
}

function ratioRows(throughputRows: ThroughputRow[], failoverRows: FailoverRow[]): BenchResult[] {
  const rows: BenchResult[] = [];
  const baton = throughputRows.filter((row) => row.system === 'baton');
  for (const b of baton) {
    const e = throughputRows.find(
      (row) => row.system !== 'baton' && row.concurrency === b.concurrency,
    );
    if (e === undefined) continue;
    rows.push({
      kind: 'ratio',
      figure: 'throughput',
      versus: e.system,
      concurrency: b.concurrency,
      opsPerSecond: ratio(b.opsPerSecond, e.opsPerSecond),
      p50Ms: ratio(b.p50Ms, e.p50Ms),
      p99Ms: ratio(b.p99Ms, e.p99Ms),
      maxMs: ratio(b.maxMs, e.maxMs),
    });
  }
  const batonFailover = failoverRows.find((row) => row.system === 'baton');
  for (const e of failoverRows.filter((row) => row.system !== 'baton')) {
    if (batonFailover === undefined) break;
    rows.push({
      kind: 'ratio',
      figure: 'failover',
      versus: e.system,
      minMs: ratio(batonFailover.minMs, e.minMs),
      medianMs: ratio(batonFailover.medianMs, e.medianMs),
      p99Ms: ratio(batonFailover.p99Ms, e.p99Ms),
      maxMs: ratio(batonFailover.maxMs, e.maxMs),
    });
  }
  return rows;
}

/** How the throughput levels were run, for a report's settings. */
export function throughputSettings(options: BenchOptions): Record<string, unknown> {
  return {
    valueBytes: VALUE_BYTES,
    durationS: options.durationS,
    warmupS: options.warmupS,
    prewarmS: options.prewarmS,
    prewarmConcurrency: PREWARM_CONCURRENCY,
    concurrencies: options.concurrencies,
    rounds: options.rounds,
    throughputClient: THROUGHPUT_CLIENT,
  };
}

export const raftBench: Bench = {
  name: 'raft',
  description:
    '3 nodes on loopback: 100-byte Put throughput/latency by concurrency, and leader failover',
  async run(options) {
    const etcdVersion = options.vsEtcd ? ensureEtcdInstalled() : undefined;
    const throughputRows: ThroughputRow[] = [];
    const failoverRows: FailoverRow[] = [];
    const doThroughput = wantsPart(options, 'throughput');
    const doFailover = wantsPart(options, 'failover');

    if (options.baton) console.log('baton: 3 nodes on loopback');
    if (options.vsEtcd) console.log(`${etcdVersion}: 3 members on loopback`);
    if (doThroughput) {
      const starters: Array<() => Promise<BenchTarget>> = [];
      if (options.baton) starters.push(() => BatonTarget.start(THROUGHPUT_CLIENT));
      if (options.vsEtcd) {
        const startEtcd = (): Promise<BenchTarget> =>
          EtcdTarget.start(THROUGHPUT_CLIENT, ETCD_DEFAULT_TIMERS);
        if (options.etcdFirst) starters.unshift(startEtcd);
        else starters.push(startEtcd);
      }
      throughputRows.push(
        ...(await withTargets(starters, (targets) => throughput(targets, options))),
      );
    }
    if (options.baton && doFailover) {
      failoverRows.push(
        await withTarget(
          () => BatonTarget.start(FAILOVER_CLIENT),
          (t) => failover(t, options.failoverTrials),
        ),
      );
    }
    if (options.vsEtcd) {
      if (doFailover) {
        for (const timers of [ETCD_DEFAULT_TIMERS, ETCD_TUNED_TIMERS]) {
          failoverRows.push(
            await withTarget(
              () => EtcdTarget.start(FAILOVER_CLIENT, timers),
              (t) => failover(t, options.failoverTrials),
            ),
          );
        }
      }
    }

    const ratios = ratioRows(throughputRows, failoverRows);
    printTable('throughput (100-byte Put, 3 nodes, loopback)', throughputRows);
    printTable(
      'failover (kill -9 leader → first acknowledged write)',
      failoverRows.map(({ samplesMs: _samples, ...row }) => row),
    );
    printTable('ratio baton/etcd (ops/s: higher is better; latencies: lower is better)', ratios);
    return {
      bench: 'raft',
      machine: machine(),
      settings: {
        ...throughputSettings(options),
        failoverTrials: options.failoverTrials,
        failoverClient: FAILOVER_CLIENT,
        etcd: etcdVersion ?? null,
        startedFirst: options.vsEtcd && options.etcdFirst ? 'etcd' : 'baton',
        etcdClient:
          '@grpc/grpc-js against cluster/bench/etcd/rpc.proto (KV.Put), same ChannelPool and retry settings',
      },
      results: [...throughputRows, ...failoverRows, ...ratios],
    };
  },
};
