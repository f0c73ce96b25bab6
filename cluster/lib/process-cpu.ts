/**
 * CPU time of other processes, from Linux's /proc: what a benchmark's nodes spent per write.
 * Elsewhere (no /proc) every reading is null and the figures are left out.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc/<pid>/stat's times; 100 on every Linux ABI Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** User plus system CPU time of a whole process (all its threads), in ms; null if unreadable. */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line; the slice starts at field 3 (the state).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1_000) / CLOCK_TICKS_PER_SECOND : null;
}

/** A reading of several processes, and this process's own CPU, to take a delta from later. */
export class CpuMeter {
  private readonly startMs: Array<number | null>;
  private readonly selfStart = process.cpuUsage();

  constructor(private readonly pids: readonly number[]) {
    this.startMs = pids.map(processCpuMs);
  }

  /**
   * CPU µs per operation since construction: each process's (largest first, so a leader leads),
   * and this process's. Null when a process could not be read at either end.
   */
  perOperation(operations: number): { processesUs: number[]; selfUs: number } | null {
    if (operations <= 0) return null;
    const processesUs: number[] = [];
    for (let i = 0; i < this.pids.length; i++) {
      const start = this.startMs[i];
      const end = processCpuMs(this.pids[i]!);
      if (start === null || start === undefined || end === null) return null;
      processesUs.push(Math.round(((end - start) * 1_000) / operations));
    }
    const self = process.cpuUsage(this.selfStart);
    return {
      processesUs: processesUs.sort((a, b) => b - a),
      selfUs: Math.round((self.user + self.system) / operations),
    };
  }
}
