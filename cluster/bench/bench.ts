/** What every benchmark shares: its options, its report, the table and the JSON it leaves. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface BenchOptions {
  /** Measured seconds per load level. */
  durationS: number;
  /** Unmeasured seconds before each level, so connections and caches are warm. */
  warmupS: number;
  /**
   * Unmeasured seconds at PREWARM_CONCURRENCY on each system before its first level (0: none).
   * A freshly started Node process runs half-compiled code for its first seconds: warmed only at
   * concurrency 1, Baton's mean write latency fell from 3.6 ms in the first 2 s to 1.3 ms after
   * ~15 s, so the first round at c=1 measured V8's tiering, not Baton.
   */
  prewarmS: number;
  concurrencies: number[];
  /**
   * Measured rounds per level and system. With several systems the rounds alternate between
   * them (ABBA…) and each figure is the median over rounds: this shared machine's speed drifts
   * by half within minutes, which one long run per system turned into a ratio.
   */
  rounds: number;
  /** --rounds was given: a benchmark that always compares systems keeps it even if below 3. */
  roundsGiven: boolean;
  failoverTrials: number;
  vsEtcd: boolean;
  /** Run the Baton side (off only to check the etcd side alone). */
  baton: boolean;
  /** Which parts of a benchmark to run (e.g. throughput, failover); all when empty. */
  parts: string[];
  /**
   * Start etcd before Baton for the throughput comparison. Two clusters of the same build
   * measured this way favour the one started second by 4–11 % at concurrency 16–256 (cause not
   * found), so a close comparison is best read from runs in both orders.
   */
  etcdFirst: boolean;
}

export type BenchResult = Record<string, string | number | boolean | number[] | null>;

export interface BenchReport {
  bench: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  settings: Record<string, unknown>;
  results: BenchResult[];
}

export interface Bench {
  name: string;
  description: string;
  /** Resolves with the report to print and save, or undefined when the bench reports itself. */
  run(options: BenchOptions): Promise<BenchReport | undefined>;
}

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

export function machine(): BenchReport['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function wantsPart(options: BenchOptions, part: string): boolean {
  return options.parts.length === 0 || options.parts.includes(part);
}

/** Rounds for display and for the JSON (figures to 3 significant decimals are plenty). */
export function round(value: number, decimals = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export function printTable(title: string, rows: readonly Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: unknown): string =>
    value === undefined || value === null
      ? ''
      : typeof value === 'number'
        ? String(round(value))
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]): string =>
    values.map((value, i) => value.padStart(widths[i]!)).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column]))));
}

/** Writes results/<name>.json and prints the same JSON as the last line of output. */
export function emitReport(report: BenchReport): void {
  const json = JSON.stringify(report);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${report.bench}.json`, `${json}\n`);
  console.log(json);
}
