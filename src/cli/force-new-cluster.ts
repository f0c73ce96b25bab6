/**
 * `baton force-new-cluster`: the way out when a cluster has lost its quorum for good (two of
 * three data directories gone, say). Offline, on the stopped node whose data survives; see
 * src/storage/force-new-cluster.ts for what it writes and why.
 */
import { clusterIdSchema, ConfigError } from '../config/index.ts';
import { forceNewCluster } from '../storage/index.ts';
import type { ForceNewClusterReport } from '../storage/index.ts';

export interface ForceNewClusterFlags {
  data: string;
  newClusterId: string;
  dryRun?: boolean;
}

export async function runForceNewCluster(flags: ForceNewClusterFlags): Promise<void> {
  const parsed = clusterIdSchema.safeParse(flags.newClusterId);
  if (!parsed.success) {
    throw new ConfigError(
      `--new-cluster-id ${JSON.stringify(flags.newClusterId)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const report = await forceNewCluster({
    dataDir: flags.data,
    newClusterId: parsed.data,
    dryRun: flags.dryRun === true,
  });
  console.log(describeRecovery(report));
}

/** What was found, what was (or would be) written, and what the operator does next. */
export function describeRecovery(report: ForceNewClusterReport): string {
  const members = report.previousMembers;
  const lines = [
    `node ${report.nodeId} of cluster "${report.previousClusterId}" (data ${report.dataDir})`,
    `  log          last entry ${report.lastIndex} (term ${report.lastTerm}), known committed up to ${report.knownCommitted}, state applied ${report.appliedIndex}`,
    `  members      voters ${list(members.voters)}; learners ${list(members.learners)}`,
  ];
  if (!report.wasVoter) {
    lines.push(
      `  warning      ${report.nodeId} was not a voter: its log may lack entries the cluster committed; prefer a voter's directory if one survives`,
    );
  }
  lines.push(
    `  committed    ${report.entriesCommittedByRecovery} entries past what it knew committed are kept and become committed (any of them may have been acknowledged)`,
  );
  const change = `${report.nodeId} the only voter, at index ${report.forcedIndex} (term ${report.forcedTerm}); cluster id "${report.previousClusterId}" -> "${report.newClusterId}"`;
  if (report.dryRun) {
    lines.push(
      '',
      `dry run: nothing written. It would make ${change}.`,
      'Run it on each surviving directory with --dry-run and recover from the most up-to-date log: the highest last term, then the highest last index.',
    );
    return lines.join('\n');
  }
  lines.push(
    '',
    report.finishedInterruptedRun ? `finished an interrupted run: ${change}` : `done: ${change}`,
    '',
    'Next:',
    `  1. start this node with --cluster-id ${report.newClusterId} (the same --id, --data and --listen; it ignores its old --peers: it is the only member now)`,
    `  2. start each new node with an empty data directory and --join --cluster-id ${report.newClusterId},`,
    `     then add it: baton cluster add-node --id <id> --address <host:port>`,
    `  Never restart a member of the old cluster on its old data: wipe its directory and add it as a new node.`,
  );
  return lines.join('\n');
}

function list(ids: readonly string[]): string {
  return ids.length === 0 ? '(none)' : ids.join(' ');
}
