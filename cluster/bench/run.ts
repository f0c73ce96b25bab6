/**
 * `npm run bench [-- <name>…] [--duration-s N] [--warmup-s N] [--prewarm-s N] [--concurrency 1,16,64,256]
 *  [--rounds N] [--trials N] [--only throughput|failover] [--vs-etcd] [--etcd-first]`
 * Runs the named benchmarks (all when none is named). Each prints a table, then as its last
 * line one JSON object, also written to cluster/bench/results/<name>.json.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { emitReport, type Bench, type BenchOptions } from './bench.ts';
import { floorBench } from './floor.ts';
import { raftBench } from './raft.ts';
import { snapshotBench } from './snapshot.ts';

function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError('expected a positive number');
  return value;
}

function nonNegativeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError('expected a number of seconds, 0 or more');
  return value;
}

function concurrencyList(text: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1)) {
    throw new InvalidArgumentError('expected a comma-separated list of positive integers');
  }
  return values;
}

/**
 * cluster/bench/transport.ts is a standalone script (it runs when loaded, and re-executes itself
 * as its receiver process): run it as a child and let it print its own report.
 */
const transportBench: Bench = {
  name: 'transport',
  description:
    'gRPC peer transport micro-benchmark (cluster/bench/transport.ts, run as a child process)',
  async run() {
    const script = fileURLToPath(new URL('./transport.ts', import.meta.url));
    if (!existsSync(script)) throw new Error(`${script} does not exist`);
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`the transport benchmark exited with code ${code}`);
    return undefined;
  },
};

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .argument('[names...]', 'benchmarks to run (default: all)')
    .option('--duration-s <seconds>', 'measured seconds per load level', positiveNumber, 10)
    .option(
      '--warmup-s <seconds>',
      'unmeasured seconds before each load level (the JIT warms up: 1 s left c=1 measuring half-compiled code)',
      positiveNumber,
      3,
    )
    .option(
      '--prewarm-s <seconds>',
      'unmeasured seconds at concurrency 64 on each system before its first level, so V8 has compiled the hot paths (0: none)',
      nonNegativeNumber,
      5,
    )
    .option('--concurrency <list>', 'concurrency levels', concurrencyList, [1, 16, 64, 256])
    .option(
      '--rounds <n>',
      'measured rounds per level, alternating systems; figures are medians (default 3 with --vs-etcd, else 1)',
      positiveNumber,
    )
    .option('--trials <n>', 'failover trials', positiveNumber, 20)
    .option(
      '--only <parts>',
      'parts of a benchmark to run, comma-separated (throughput,failover)',
      '',
    )
    .option(
      '--vs-etcd',
      'run the same load against a 3-member etcd cluster and print ratios',
      false,
    )
    .option('--no-baton', 'skip the Baton side (to check the etcd side alone)')
    .option(
      '--etcd-first',
      'start etcd before Baton for the throughput comparison (the one started second is favoured a little)',
      false,
    )
    .parse();
  const opts = program.opts<{
    durationS: number;
    warmupS: number;
    prewarmS: number;
    concurrency: number[];
    rounds: number | undefined;
    trials: number;
    only: string;
    vsEtcd: boolean;
    baton: boolean;
    etcdFirst: boolean;
  }>();
  const options: BenchOptions = {
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    prewarmS: opts.prewarmS,
    concurrencies: opts.concurrency,
    rounds: Math.round(opts.rounds ?? (opts.vsEtcd ? 3 : 1)),
    roundsGiven: opts.rounds !== undefined,
    failoverTrials: Math.round(opts.trials),
    vsEtcd: opts.vsEtcd,
    baton: opts.baton,
    parts: opts.only.split(',').filter((part) => part.length > 0),
    etcdFirst: opts.etcdFirst,
  };
  const benches: Bench[] = [raftBench, transportBench, snapshotBench, floorBench];
  const names = program.args;
  const selected =
    names.length === 0 ? benches : benches.filter((bench) => names.includes(bench.name));
  const unknown = names.filter((name) => !benches.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark ${unknown.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`,
    );
  }
  for (const bench of selected) {
    console.log(`== ${bench.name}: ${bench.description}`);
    const report = await bench.run(options);
    if (report !== undefined) emitReport(report);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
