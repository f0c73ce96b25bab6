/** Counters for the summary line. Plain maps of names to counts; cheap to bump on hot paths. */
export class FaultCounters {
  readonly counts = new Map<string, number>();

  count(kind: string, by = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + by);
  }

  mergeInto(target: FaultCounters): void {
    for (const [kind, n] of this.counts) target.count(kind, n);
  }

  describe(): string {
    return [...this.counts.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([kind, n]) => `${kind}=${n}`)
      .join(' ');
  }
}

/** What one run did, for the summary. */
export interface RunStats {
  steps: number;
  ticks: number;
  elections: number;
  commits: number;
  proposalsAcknowledged: number;
  proposalsFailed: number;
  readsServed: number;
  readsFailed: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  messagesDelivered: number;
  readonly faults: FaultCounters;
  /** Why proposals failed: the core's refusal (by error name) or an accepted entry that lost. */
  readonly proposalFailures: FaultCounters;
}

export function emptyStats(): RunStats {
  return {
    steps: 0,
    ticks: 0,
    elections: 0,
    commits: 0,
    proposalsAcknowledged: 0,
    proposalsFailed: 0,
    readsServed: 0,
    readsFailed: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    messagesDelivered: 0,
    faults: new FaultCounters(),
    proposalFailures: new FaultCounters(),
  };
}

export function addStats(total: RunStats, run: RunStats): void {
  total.steps += run.steps;
  total.ticks += run.ticks;
  total.elections += run.elections;
  total.commits += run.commits;
  total.proposalsAcknowledged += run.proposalsAcknowledged;
  total.proposalsFailed += run.proposalsFailed;
  total.readsServed += run.readsServed;
  total.readsFailed += run.readsFailed;
  total.snapshotsTaken += run.snapshotsTaken;
  total.snapshotsInstalled += run.snapshotsInstalled;
  total.messagesDelivered += run.messagesDelivered;
  run.faults.mergeInto(total.faults);
  run.proposalFailures.mergeInto(total.proposalFailures);
}
