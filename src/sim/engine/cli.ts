/**
 * `npx tsx src/sim/engine/cli.ts --seeds N [--first-seed F] | --seed S [--commands C] [--nodes 3|5]
 *    [--profile P] [--engine-bug B] [--avoid-id-reuse] [--keep-going]`
 *
 * Runs the workflow engine on top of the simulated Raft cluster under faults, one seed after
 * another, with a progress line on stderr about once a second and a summary at the end. On the
 * first failure it prints the seed, the broken property, the trace tail and the exact command
 * that replays it, and exits 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_COMMANDS, runEngineSeed } from './run.ts';
import type { EngineRunOptions, EngineRunResult } from './run.ts';
import { ENGINE_FAULT_PROFILES } from './world.ts';
import { ENGINE_BUG_NAMES } from './engine-bugs.ts';
import type { EngineBugName } from './engine-bugs.ts';

const PROGRESS_INTERVAL_MS = 1_000;

interface CliOptions {
  seeds: number;
  firstSeed: number;
  seed?: number;
  commands: number;
  nodes?: number;
  profile?: string;
  keepGoing?: boolean;
  engineBug?: EngineBugName;
  avoidIdReuse?: boolean;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function nodeCount(value: string): number {
  const n = count(value);
  if (n !== 3 && n !== 5) throw new InvalidArgumentError('expected 3 or 5');
  return n;
}

function profileName(value: string): string {
  const names = ENGINE_FAULT_PROFILES.map((profile) => profile.name);
  if (!names.includes(value)) throw new InvalidArgumentError(`expected one of ${names.join(', ')}`);
  return value;
}

function engineBug(value: string): string {
  if (!(ENGINE_BUG_NAMES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${ENGINE_BUG_NAMES.join(', ')}`);
  return value;
}

const program = new Command()
  .name('engine-sim')
  .description(
    'Deterministic simulation of the workflow engine replicated by the Raft core, under faults',
  )
  .option('--seeds <n>', 'how many seeds to run', count, 50)
  .option('--first-seed <n>', 'the first seed of a --seeds run', count, 1)
  .option('--seed <n>', 'run (replay) this one seed', count)
  .option(
    '--commands <n>',
    'distinct commands per seed in the fault phase',
    count,
    DEFAULT_COMMANDS,
  )
  .option('--nodes <n>', 'cluster size, 3 or 5 (default: drawn per seed)', nodeCount)
  .option('--profile <name>', 'fault profile (default: drawn per seed)', profileName)
  .option(
    '--engine-bug <name>',
    `run a deliberately broken engine to see the checker catch it: ${ENGINE_BUG_NAMES.join(', ')}`,
    engineBug,
  )
  .option(
    '--avoid-id-reuse',
    'never start a second run under a used workflow id (narrows a search to other code paths)',
  )
  .option('--keep-going', 'do not stop at the first failing seed');

function describeRun(result: EngineRunResult): string {
  const w = result.workload;
  const c = result.checks;
  return (
    `seed ${result.seed}: ${result.nodes} nodes, ${result.profile}, ${result.ticks} ticks; ` +
    `commands ${[...w.byType.values()].reduce((a, b) => a + b, 0)} (sent ${w.proposed}, retried ${w.retries}, duplicates ${w.duplicatesSent}); ` +
    `applies ${c.applies} (rejected ${c.rejections}), task attempts closed ${c.completions}, duplicate closes acknowledged ${c.duplicateCompletions}; ` +
    `final state ${c.finalKeys} keys at index ${c.finalApplied}, instances ${JSON.stringify(c.finalStatuses)}; ` +
    `apply runs ${result.hosts.runsCommitted} committed, ${result.hosts.runsLostInCrash} lost in a crash; snapshots ${result.hosts.snapshotsTaken} taken, ` +
    `${result.hosts.snapshotsInstalled} installed, ${result.hosts.restoredOnRestart} restored on restart; faults ${result.faults}`
  );
}

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<CliOptions>();
  const seeds =
    options.seed === undefined
      ? Array.from({ length: options.seeds }, (_, k) => options.firstSeed + k)
      : [options.seed];
  const started = performance.now();
  let lastProgress = started;
  let failures = 0;
  let commands = 0;
  let applies = 0;
  let attemptsClosed = 0;
  let seedsRun = 0;
  let runsLost = 0;
  let snapshotsInstalled = 0;
  const statuses: Record<string, number> = {};
  for (const [done, seed] of seeds.entries()) {
    const runOptions: EngineRunOptions = {
      seed,
      ...(options.commands === DEFAULT_COMMANDS ? {} : { commands: options.commands }),
      ...(options.nodes === undefined ? {} : { nodes: options.nodes }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      ...(options.engineBug === undefined ? {} : { engineBug: options.engineBug }),
      ...(options.avoidIdReuse === true ? { avoidIdReuse: true } : {}),
    };
    const result = await runEngineSeed(runOptions);
    seedsRun++;
    runsLost += result.hosts.runsLostInCrash;
    snapshotsInstalled += result.hosts.snapshotsInstalled + result.hosts.restoredOnRestart;
    commands += [...result.workload.byType.values()].reduce((a, b) => a + b, 0);
    applies += result.checks.applies;
    attemptsClosed += result.checks.completions;
    for (const [status, n] of Object.entries(result.checks.finalStatuses))
      statuses[status] = (statuses[status] ?? 0) + n;
    if (seeds.length === 1) process.stdout.write(`${describeRun(result)}\n`);
    if (result.failure !== null) {
      failures++;
      process.stdout.write(
        `\nFAIL seed ${seed} (${result.nodes} nodes, profile ${result.profile}): ${result.failure.property}\n${result.failure.message}\n` +
          `--- trace tail ---\n${result.failure.traceTail.join('\n')}\n--- replay ---\n${result.replay}\n`,
      );
      if (options.keepGoing !== true) break;
    }
    const now = performance.now();
    if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
      lastProgress = now;
      process.stderr.write(
        `  ${done + 1}/${seeds.length} seeds, ${commands} commands, ${applies} applies, ${failures} failed, ${((now - started) / 1000).toFixed(1)} s\n`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `engine simulation: ${seedsRun} seed(s), ${commands} commands, ${applies} applies on all replicas, ` +
      `${attemptsClosed} task attempts closed exactly once, ${runsLost} apply runs lost in crashes and re-applied, ` +
      `${snapshotsInstalled} snapshot restores; instances at the end ${JSON.stringify(statuses)}; ${failures} failure(s) in ${seconds.toFixed(1)} s\n`,
  );
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
