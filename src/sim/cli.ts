/**
 * `npm run sim -- --seeds N --steps M --seed S --nodes 3|5 --bug <name> --measure-election`
 *
 * Runs the deterministic Raft simulation over many seeds (or one), prints a progress line on
 * stderr about once a second and a summary at the end. On the first failure it prints the seed,
 * the broken invariant, the trace tail and the command that replays it, and exits 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { measureElections, summarizeElections } from './election.ts';
import { BUG_NAMES, MS_PER_TICK, profileNames } from './schedule.ts';
import type { BugName } from './schedule.ts';
import { runSeed } from './run.ts';
import type { RunResult } from './run.ts';
import { addStats, emptyStats } from './stats.ts';

const PROGRESS_INTERVAL_MS = 1_000;

interface CliOptions {
  seeds: number;
  firstSeed: number;
  steps?: number;
  seed?: number;
  nodes?: number;
  bug?: string;
  profile?: string;
  measureElection?: boolean;
  keepGoing?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function nodeCount(value: string): number {
  const n = positiveInt(value);
  if (n !== 3 && n !== 5) throw new InvalidArgumentError('expected 3 or 5');
  return n;
}

function bugName(value: string): string {
  if (!(BUG_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${BUG_NAMES.join(', ')}`);
  }
  return value;
}

function profileName(value: string): string {
  if (!profileNames().includes(value))
    throw new InvalidArgumentError(`expected one of ${profileNames().join(', ')}`);
  return value;
}

const program = new Command()
  .name('sim')
  .description('Deterministic simulation of the Baton Raft core')
  .option('--seeds <n>', 'how many seeds to run', positiveInt, 100)
  .option('--first-seed <n>', 'the first seed of a --seeds run', positiveInt, 1)
  .option(
    '--steps <n>',
    'events per seed in the fault phase (default 2000; a --bug hunt uses its own)',
    positiveInt,
  )
  .option('--seed <n>', 'run exactly this one seed', positiveInt)
  .option('--nodes <n>', 'cluster size, 3 or 5 (default: drawn per seed)', nodeCount)
  .option('--bug <name>', `switch on a deliberate core bug: ${BUG_NAMES.join(', ')}`, bugName)
  .option('--profile <name>', `force a fault profile: ${profileNames().join(', ')}`, profileName)
  .option(
    '--keep-going',
    'do not stop at the first failing seed: list every failure (one line each)',
  )
  .option('--measure-election', 'measure ticks to elect a new leader after the old one is cut off')
  .parse();

const options = program.opts<CliOptions>();

if (options.measureElection === true) {
  process.exitCode = runElectionMeasurement(options);
} else {
  process.exitCode = runSeeds(options);
}

function runSeeds(opts: CliOptions): number {
  const seeds = opts.seed !== undefined ? [opts.seed] : range(opts.firstSeed, opts.seeds);
  const total = emptyStats();
  const started = performance.now();
  let lastProgress = started;
  let done = 0;
  let failures = 0;
  for (const seed of seeds) {
    const result = runSeed({
      seed,
      ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
      ...(opts.nodes !== undefined ? { nodes: opts.nodes } : {}),
      ...(opts.bug !== undefined ? { bug: opts.bug as BugName } : {}),
      ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    });
    addStats(total, result.stats);
    done++;
    if (result.failure !== null && opts.keepGoing === true) {
      failures++;
      console.log(
        `FAILED seed ${result.seed}: ${result.failure.message.split('\n')[0] ?? ''}\n  replay: ${result.replay}`,
      );
    } else if (result.failure !== null) {
      printFailure(result, done);
      printSummary(done, total, performance.now() - started);
      return 1;
    }
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
      lastProgress = now;
      const seconds = (now - started) / 1000;
      process.stderr.write(
        `[sim] ${done}/${seeds.length} seeds, ${(done / seconds).toFixed(1)} seeds/s, ${Math.round(total.steps / seconds)} steps/s, elections ${total.elections}, commits ${total.commits}\n`,
      );
    }
  }
  printSummary(done, total, performance.now() - started);
  if (failures > 0) console.log(`${failures} failing seed(s)`);
  return failures > 0 ? 1 : 0;
}

function printFailure(result: RunResult, seedsRun: number): void {
  const failure = result.failure!;
  console.log(
    `\nFAILED seed ${result.seed} (after ${seedsRun} seed(s); ${result.nodes} nodes, profile ${result.profile}, step ${failure.atStep})`,
  );
  console.log(`invariant: ${failure.invariant}`);
  console.log(`detail:    ${failure.message}`);
  console.log(`knobs:     ${JSON.stringify(result.knobs)}`);
  console.log('trace tail (messages as delivered, events as they happened):');
  for (const line of failure.traceTail) console.log(`  ${line}`);
  console.log(`replay:    ${result.replay}`);
}

function printSummary(
  seeds: number,
  total: ReturnType<typeof emptyStats>,
  elapsedMs: number,
): void {
  const seconds = elapsedMs / 1000;
  console.log(
    [
      `seeds ${seeds} in ${seconds.toFixed(1)} s: ${(seeds / seconds).toFixed(1)} seeds/s, ${Math.round(total.steps / seconds)} steps/s (${total.steps} steps, ${total.ticks} ticks)`,
      `elections ${total.elections}, commits ${total.commits}, proposals acknowledged ${total.proposalsAcknowledged} / failed ${total.proposalsFailed}`,
      `reads served ${total.readsServed} / failed ${total.readsFailed}, snapshots taken ${total.snapshotsTaken} / installed ${total.snapshotsInstalled}, messages delivered ${total.messagesDelivered}`,
      `faults: ${total.faults.describe()}`,
      `proposal failures: ${total.proposalFailures.describe()}`,
    ].join('\n'),
  );
}

function runElectionMeasurement(opts: CliOptions): number {
  const seeds = range(opts.firstSeed, opts.seeds);
  const started = performance.now();
  const samples = measureElections(seeds, opts.nodes ?? 3, (done) => {
    process.stderr.write(`[sim] measured ${done}/${seeds.length} failovers\n`);
  });
  const summary = summarizeElections(samples.map((s) => s.ticks));
  const ms = (ticks: number): string => `${ticks} ticks (${ticks * MS_PER_TICK} ms)`;
  console.log(
    `failovers measured: ${samples.length} (${opts.nodes ?? 3} nodes, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  console.log(
    `ticks from cutting off the leader until a new leader is elected, at ${MS_PER_TICK} ms per tick:`,
  );
  console.log(`  shortest ${ms(summary.min)}`);
  console.log(`  median   ${ms(summary.median)}`);
  console.log(`  p99      ${ms(summary.p99)}`);
  console.log(`  max      ${ms(summary.max)}`);
  return 0;
}

function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => first + k);
}
