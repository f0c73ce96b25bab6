import { runSeed } from './run.ts';
import type { RunOptions, RunResult } from './run.ts';

/** Runs seeds [first, first + count) and returns the first failing result, or null. */
export function firstFailure(
  first: number,
  count: number,
  options: Omit<RunOptions, 'seed'> = {},
): RunResult | null {
  for (let seed = first; seed < first + count; seed++) {
    const result = runSeed({ ...options, seed });
    if (result.failure !== null) return result;
  }
  return null;
}

/** A failure as a test prints it: what broke, where, and how to replay it. */
export function describeResult(result: RunResult | null): string {
  if (result?.failure == null) return 'no failure';
  const f = result.failure;
  return [
    `seed ${result.seed} (${result.nodes} nodes, profile ${result.profile}): ${f.message}`,
    ...f.traceTail.slice(-15).map((line) => `  ${line}`),
    `replay: ${result.replay}`,
  ].join('\n');
}
