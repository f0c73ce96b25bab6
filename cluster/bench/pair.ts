/**
 * `npm run bench:pair -- [--a <command>] [--b <command>] [--a-env K=V,…] [--b-env K=V,…]
 *  [--concurrency 16,256] [--pairs 10] [--prewarm-s 3] [--slice-ms 2000]`
 *
 * Compares two ways of running the server on this machine — two builds, V8 flags, settings — far
 * more tightly than two separate benchmark runs can on a machine whose speed drifts by half
 * within minutes. Both 3-node clusters are up at once; one is measured while the other is frozen
 * (SIGSTOP), in back-to-back slices (ABBA…), and each pair of slices gives one B/A ratio of
 * writes/s and of p99. Every level runs twice, A started first and then B started first, and the
 * two runs are combined (paired-ratio.ts says why). Prints a table, then one JSON line, also
 * written to cluster/bench/results/pair.json.
 *
 * A command is the node invocation up to `server`, e.g.
 *   --b "node --max-semi-space-size=16 /path/to/other/checkout/bin/baton.js"
 * Both default to this checkout's own command.
 */
import { Command, InvalidArgumentError } from 'commander';
import { emitReport, machine, printTable, round } from './bench.ts';
import type { BenchResult } from './bench.ts';
import { combineOrders, summarizeRatios } from './paired-ratio.ts';
import { PREWARM_CONCURRENCY, THROUGHPUT_CLIENT } from './raft.ts';
import { ProcessCluster } from '../lib/cluster.ts';
import { BatonClient } from '../lib/client.ts';
import { CONCURRENCY_MAX, WriteLoad } from '../lib/load.ts';
import { defaultNodeCommand, type NodeCommand } from '../lib/node-process.ts';
import { median, sleep, summarizeMs } from '../lib/stats.ts';

const VALUE = Buffer.alloc(100, 7);
/** Unmeasured load at the start of each slice: connections and JIT warm after the freeze. */
const SLICE_WARMUP_MS = 300;
/** After SIGCONT, let timers and sockets catch up before loading. */
const RESUME_SETTLE_MS = 100;
const PAIRS_MAX = 1_000;
const SLICE_MS_MIN = 200;
const SLICE_MS_MAX = 600_000;

interface Side {
  readonly label: 'A' | 'B';
  readonly command: NodeCommand;
  readonly env: Readonly<Record<string, string>>;
}

interface Running {
  readonly side: Side;
  readonly cluster: ProcessCluster;
  readonly client: BatonClient;
}

interface SliceFigures {
  opsPerSecond: number;
  p99Ms: number;
  failed: number;
}

function commandOption(value: string): NodeCommand {
  const [executable, ...argsPrefix] = value.trim().split(/\s+/);
  if (executable === undefined || executable.length === 0)
    throw new InvalidArgumentError('expected a command such as "node bin/baton.js"');
  return { executable, argsPrefix };
}

function envOption(value: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of value.split(',').filter((part) => part.length > 0)) {
    const split = item.indexOf('=');
    const key = split > 0 ? item.slice(0, split) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new InvalidArgumentError(`expected KEY=VALUE pairs, comma-separated; got "${item}"`);
    env[key] = item.slice(split + 1);
  }
  return env;
}

function integerOption(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return parsed;
  };
}

function concurrencyOption(value: string): number[] {
  const levels = value.split(',').map(Number);
  if (levels.some((c) => !Number.isInteger(c) || c < 1 || c > CONCURRENCY_MAX))
    throw new InvalidArgumentError(`expected levels from 1 to ${CONCURRENCY_MAX}, comma-separated`);
  return levels;
}

async function startSide(side: Side): Promise<Running> {
  const cluster = await ProcessCluster.start({
    size: 3,
    clusterId: `pair-${side.label.toLowerCase()}`,
    command: side.command,
    env: side.env,
    client: THROUGHPUT_CLIENT,
  });
  return { side, cluster, client: cluster.client };
}

function freeze(running: Running, signal: 'SIGSTOP' | 'SIGCONT'): void {
  for (const id of running.cluster.runningMembers()) running.cluster.signal(id, signal);
}

/**
 * Fresh clients pointed at each leader, made once both clusters are up: with the clients the
 * clusters were started with, the one started second measured faster, and with fresh ones the
 * edge looked smaller (its cause is not found; running both orders is what cancels it).
 */
async function loadClients(sides: readonly Running[]): Promise<Running[]> {
  const fresh: Running[] = [];
  for (const running of sides) {
    const leader = await running.cluster.waitForLeader();
    const client = new BatonClient({ ...THROUGHPUT_CLIENT, endpoints: [leader.address] });
    client.prefer(leader.address);
    fresh.push({ ...running, client });
  }
  return fresh;
}

/** Both fresh clusters run PREWARM_CONCURRENCY writers for `seconds`, one at a time (raft.ts says why). */
async function prewarm(sides: readonly Running[], seconds: number): Promise<void> {
  for (const running of sides) {
    for (const other of sides) if (other !== running) freeze(other, 'SIGSTOP');
    freeze(running, 'SIGCONT');
    await sleep(RESUME_SETTLE_MS);
    const put = (key: string, value: Uint8Array): Promise<unknown> =>
      running.client.put(key, value);
    await new WriteLoad({
      put,
      concurrency: PREWARM_CONCURRENCY,
      keyPrefix: 'prewarm',
      makeValue: () => VALUE,
    }).runFor(seconds * 1000);
  }
}

async function slice(
  measured: Running,
  frozen: Running,
  concurrency: number,
  sliceMs: number,
  tag: string,
): Promise<SliceFigures> {
  freeze(frozen, 'SIGSTOP');
  freeze(measured, 'SIGCONT');
  await sleep(RESUME_SETTLE_MS);
  const put = (key: string, value: Uint8Array): Promise<unknown> => measured.client.put(key, value);
  const makeValue = (): Uint8Array => VALUE;
  await new WriteLoad({ put, concurrency, keyPrefix: `${tag}w`, makeValue }).runFor(
    SLICE_WARMUP_MS,
  );
  const result = await new WriteLoad({ put, concurrency, keyPrefix: tag, makeValue }).runFor(
    sliceMs,
  );
  return {
    opsPerSecond: result.acknowledgedCount / (result.elapsedMs / 1000),
    p99Ms: summarizeMs(result.latenciesMs).p99Ms,
    failed: result.failedCount,
  };
}

/** Per-pair B/A ratios of one run, and each side's writes/s per pair. */
interface RunFigures {
  ops: number[];
  p99: number[];
  aOps: number[];
  bOps: number[];
  failed: number;
}

/** One run at one level: `pairs` pairs of slices in ABBA order; returns per-pair figures. */
async function run(
  a: Running,
  b: Running,
  concurrency: number,
  pairs: number,
  sliceMs: number,
): Promise<RunFigures> {
  const out: RunFigures = {
    ops: [],
    p99: [],
    aOps: [],
    bOps: [],
    failed: 0,
  };
  for (let i = 0; i < pairs; i++) {
    const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
    const firstFigures = await slice(first, second, concurrency, sliceMs, `c${concurrency}p${i}x`);
    const secondFigures = await slice(second, first, concurrency, sliceMs, `c${concurrency}p${i}y`);
    const [af, bf] = first === a ? [firstFigures, secondFigures] : [secondFigures, firstFigures];
    out.ops.push(bf.opsPerSecond / af.opsPerSecond);
    out.p99.push(bf.p99Ms / af.p99Ms);
    out.aOps.push(af.opsPerSecond);
    out.bOps.push(bf.opsPerSecond);
    out.failed += af.failed + bf.failed;
  }
  return out;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm run bench:pair --')
    .description('Paired comparison of two ways of running the server (B/A ratios)')
    .option(
      '--a <command>',
      'node command for side A, up to `server` (default: this checkout)',
      commandOption,
    )
    .option('--b <command>', 'node command for side B (default: this checkout)', commandOption)
    .option('--a-env <pairs>', 'environment for side A, KEY=VALUE,…', envOption, {})
    .option('--b-env <pairs>', 'environment for side B, KEY=VALUE,…', envOption, {})
    .option('--concurrency <list>', 'load levels, comma-separated', concurrencyOption, [16])
    .option(
      '--pairs <n>',
      'pairs of slices per run (two runs per level)',
      integerOption(2, PAIRS_MAX),
      10,
    )
    .option(
      '--prewarm-s <seconds>',
      'unmeasured seconds at concurrency 64 on each fresh cluster before its first slice (0: none)',
      integerOption(0, 600),
      3,
    )
    .option(
      '--slice-ms <ms>',
      'measured milliseconds per slice',
      integerOption(SLICE_MS_MIN, SLICE_MS_MAX),
      2000,
    )
    .parse();
  const opts = program.opts<{
    a?: NodeCommand;
    b?: NodeCommand;
    aEnv: Record<string, string>;
    bEnv: Record<string, string>;
    concurrency: number[];
    pairs: number;
    prewarmS: number;
    sliceMs: number;
  }>();
  const sideA: Side = { label: 'A', command: opts.a ?? defaultNodeCommand(), env: opts.aEnv };
  const sideB: Side = { label: 'B', command: opts.b ?? defaultNodeCommand(), env: opts.bEnv };
  const describe = (side: Side): string =>
    [side.command.executable, ...side.command.argsPrefix].join(' ') +
    (Object.keys(side.env).length > 0 ? ` with ${JSON.stringify(side.env)}` : '');
  console.log(`A: ${describe(sideA)}\nB: ${describe(sideB)}`);

  const rows: BenchResult[] = [];
  for (const concurrency of opts.concurrency) {
    const runs = new Map<'aFirst' | 'bFirst', RunFigures>();
    for (const order of ['aFirst', 'bFirst'] as const) {
      const started: Running[] = [];
      let loaders: Running[] = [];
      try {
        for (const side of order === 'aFirst' ? [sideA, sideB] : [sideB, sideA]) {
          started.push(await startSide(side));
        }
        loaders = await loadClients(started);
        if (opts.prewarmS > 0) await prewarm(loaders, opts.prewarmS);
        const [x, y] = loaders;
        const [a, b] = x!.side.label === 'A' ? [x!, y!] : [y!, x!];
        const figures = await run(a, b, concurrency, opts.pairs, opts.sliceMs);
        runs.set(order, figures);
        const ops = summarizeRatios(figures.ops);
        console.log(
          `c=${concurrency} ${order === 'aFirst' ? 'A' : 'B'} started first: B/A ops geomean ${round(ops.geomean, 3)}, median ${round(ops.median, 3)}; p99 median ${round(median(figures.p99), 3)}`,
        );
        rows.push({
          concurrency,
          startedFirst: order === 'aFirst' ? 'A' : 'B',
          aOpsPerSecond: round(median(figures.aOps), 0),
          bOpsPerSecond: round(median(figures.bOps), 0),
          opsRatioGeomean: round(ops.geomean, 3),
          opsRatioMedian: round(ops.median, 3),
          p99RatioMedian: round(median(figures.p99), 3),
          failed: figures.failed,
        });
      } finally {
        for (const loader of loaders) loader.client.close();
        // shutdown() resumes frozen nodes before stopping them, and closes the clusters' clients.
        for (const running of started) await running.cluster.shutdown();
      }
    }
    // Both runs completed (a failure throws out of the loop above).
    const aFirst = runs.get('aFirst')!;
    const bFirst = runs.get('bFirst')!;
    const combined = (pick: (figures: RunFigures) => number): number =>
      round(combineOrders(pick(aFirst), pick(bFirst)), 3);
    rows.push({
      concurrency,
      startedFirst: 'combined',
      opsRatioGeomean: combined((f) => summarizeRatios(f.ops).geomean),
      opsRatioMedian: combined((f) => median(f.ops)),
      p99RatioMedian: combined((f) => median(f.p99)),
    });
  }
  printTable('B/A (ops: higher is better for B; p99: lower is better for B)', rows);
  emitReport({
    bench: 'pair',
    machine: machine(),
    settings: {
      a: describe(sideA),
      b: describe(sideB),
      pairs: opts.pairs,
      prewarmS: opts.prewarmS,
      sliceMs: opts.sliceMs,
      sliceWarmupMs: SLICE_WARMUP_MS,
      valueBytes: VALUE.length,
      throughputClient: THROUGHPUT_CLIENT,
    },
    results: rows,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
