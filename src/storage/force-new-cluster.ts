/**
 * Disaster recovery for a cluster that has lost its quorum for good (etcd's
 * `--force-new-cluster`): the one stopped node whose data survives becomes the only voter of a new
 * cluster, keeping everything in its log; new nodes then join it with empty directories.
 *
 * What it writes, in one synced LevelDB batch, then the identity file:
 * - one `config` entry after the last, `forceSoleVoter` for this node, in a term above any the
 *   directory has seen, with a hard state that votes for itself in that term and commits it.
 *   Every entry before it is kept and so becomes committed — including ones past the last commit
 *   index this node knew of: any of them may have been acknowledged by the old quorum, and an
 *   unacknowledged write's client was told its outcome is unknown, never that it failed;
 * - the new cluster id in the database and then in the IDENTITY file. A new id is required:
 *   the transport refuses messages between clusters, so a member of the old cluster that turns
 *   out to be alive (its disk was not lost after all, or it was on the other side of a partition)
 *   can never vote with, lead or truncate the recovered node.
 *
 * The batch carries the database's identity, so a crash leaves either the old directory or a
 * forced one whose IDENTITY file still names the old cluster: the node refuses to start on it
 * under either id, and running the command again finishes the job.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatonError, logIndex, term as toTerm } from '../lib/index.ts';
import type { LogIndex, NodeId, Term } from '../lib/index.ts';
import { applyConfChangeEntry, decodeConfChange, encodeConfChange } from '../raft/index.ts';
import type { ConfState, Entry, HardState } from '../raft/index.ts';
import { DATABASE_DIR, readIdentity, writeIdentity } from './data-dir.ts';
import { identityRecord, openNodeStore, readDatabaseIdentity } from './node-store.ts';
import type { LevelLogStore } from './level-log-store.ts';

export interface ForceNewClusterOptions {
  readonly dataDir: string;
  /** The recovered cluster's id: every node of it (new joiners too) runs with `--cluster-id` set to it. */
  readonly newClusterId: string;
  /** Report what would be written, write nothing. */
  readonly dryRun?: boolean;
}

export interface ForceNewClusterReport {
  readonly dataDir: string;
  readonly nodeId: string;
  readonly previousClusterId: string;
  readonly newClusterId: string;
  /** The membership as of the directory's last entry, before recovery. */
  readonly previousMembers: ConfState;
  /** Whether this node was a voter then (a learner's log may lack committed entries). */
  readonly wasVoter: boolean;
  /**
   * The last entry before recovery (compare it across the surviving directories: the most
   * up-to-date log has the highest term, then the highest index).
   */
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  /**
   * How far this node knew the log to be committed: its recorded commit index or, if further,
   * what it had applied (the commit index is recorded lazily).
   */
  readonly knownCommitted: LogIndex;
  /** How far the state machine had applied (the node applies the rest when it starts). */
  readonly appliedIndex: LogIndex;
  /** Entries past `knownCommitted`, kept and committed by the recovery. */
  readonly entriesCommittedByRecovery: number;
  /** The forced membership entry, and the term it is written in. */
  readonly forcedIndex: LogIndex;
  readonly forcedTerm: Term;
  readonly dryRun: boolean;
  /** True when this call only finished an earlier run that crashed after its batch. */
  readonly finishedInterruptedRun: boolean;
}

/** The directory cannot be recovered from, or the request is inconsistent with it; nothing was changed. */
export class RecoveryRefusedError extends BatonError {
  override readonly name = 'RecoveryRefusedError';

  constructor(dataDir: string, detail: string) {
    super('FAILED_PRECONDITION', `cannot force a new cluster from ${dataDir}: ${detail}`);
  }
}

export async function forceNewCluster(
  options: ForceNewClusterOptions,
): Promise<ForceNewClusterReport> {
  const { dataDir, newClusterId } = options;
  const dryRun = options.dryRun === true;
  const fileIdentity = await readIdentity(dataDir);
  if (fileIdentity === null || !existsSync(join(dataDir, DATABASE_DIR))) {
    throw new RecoveryRefusedError(
      dataDir,
      "it is not a Baton data directory (no IDENTITY file or no database); point --data at the surviving node's directory",
    );
  }
  const stored = await readDatabaseIdentity(dataDir);
  if (stored === null) {
    throw new RecoveryRefusedError(dataDir, 'its database was never initialized: it holds no data');
  }
  if (stored.nodeId !== fileIdentity.nodeId) {
    throw new RecoveryRefusedError(
      dataDir,
      `its IDENTITY file names node "${fileIdentity.nodeId}" but its database node "${stored.nodeId}"`,
    );
  }
  const interrupted = stored.clusterId !== fileIdentity.clusterId;
  if (interrupted && stored.clusterId !== newClusterId) {
    throw new RecoveryRefusedError(
      dataDir,
      `its IDENTITY file names cluster "${fileIdentity.clusterId}" but its database cluster "${stored.clusterId}"; ` +
        `if an earlier force-new-cluster to "${stored.clusterId}" was interrupted, run it again with --new-cluster-id ${stored.clusterId}`,
    );
  }
  if (!interrupted && newClusterId === fileIdentity.clusterId) {
    throw new RecoveryRefusedError(
      dataDir,
      `the new cluster id must differ from the old one ("${newClusterId}"), so that members of the old cluster can never talk to the recovered one`,
    );
  }
  const store = await openNodeStore({
    dataDir,
    clusterId: stored.clusterId,
    nodeId: stored.nodeId,
    // The database is initialized (checked above), so nothing is bootstrapped.
    bootstrap: { voters: [], learners: [] },
    identityFileClusterId: fileIdentity.clusterId,
  });
  let report: ForceNewClusterReport;
  try {
    if (store.openReport.removed !== null) {
      throw new RecoveryRefusedError(
        dataDir,
        `node ${stored.nodeId} was removed from the cluster (${store.openReport.removed}); its data stops at its removal, so recover from another member's directory`,
      );
    }
    const log = store.log;
    const self = stored.nodeId as NodeId;
    const hardState = log.initialState().hardState;
    const lastIndex = log.lastIndex();
    const lastTerm = log.term(lastIndex);
    const last =
      lastIndex >= log.firstIndex()
        ? log.entries(lastIndex, logIndex(lastIndex + 1), Number.MAX_SAFE_INTEGER)[0]
        : undefined;
    // Only when finishing an interrupted run: a forced directory that has run since appends a
    // new forced entry like any other.
    const alreadyForced = interrupted && last !== undefined && isForcedFor(last, self);
    if (interrupted && !alreadyForced) {
      throw new RecoveryRefusedError(
        dataDir,
        `its database names cluster "${stored.clusterId}" but its log does not end in a forced membership`,
      );
    }
    const previousMembers = membershipAt(log, alreadyForced ? lastIndex - 1 : lastIndex);
    if (previousMembers.voters.length === 0 && log.storedSnapshot().meta.index === 0) {
      throw new RecoveryRefusedError(
        dataDir,
        `node ${stored.nodeId} never received the cluster's data (it was started with --join and not yet caught up)`,
      );
    }
    const forcedTerm = alreadyForced ? last.term : toTerm(Math.max(hardState.term, lastTerm) + 1);
    const forcedIndex = alreadyForced ? lastIndex : logIndex(lastIndex + 1);
    const keptLast = alreadyForced ? lastIndex - 1 : lastIndex;
    report = {
      dataDir,
      nodeId: stored.nodeId,
      previousClusterId: fileIdentity.clusterId,
      newClusterId,
      previousMembers,
      wasVoter: previousMembers.voters.includes(self),
      lastIndex: logIndex(keptLast),
      lastTerm: log.term(logIndex(keptLast)),
      knownCommitted: logIndex(Math.max(hardState.commit, store.state.appliedIndex())),
      appliedIndex: store.state.appliedIndex(),
      entriesCommittedByRecovery: Math.max(
        0,
        keptLast - Math.max(hardState.commit, store.state.appliedIndex()),
      ),
      forcedIndex,
      forcedTerm,
      dryRun,
      finishedInterruptedRun: interrupted,
    };
    if (!dryRun && !alreadyForced) {
      const entry: Entry = {
        term: forcedTerm,
        index: forcedIndex,
        kind: 'config',
        data: encodeConfChange({ type: 'forceSoleVoter', node: self }),
      };
      const forcedState: HardState = { term: forcedTerm, vote: self, commit: forcedIndex };
      const identity = log.carry([
        identityRecord({ clusterId: newClusterId, nodeId: stored.nodeId }),
      ]);
      await Promise.all([identity, log.save({ entries: [entry], hardState: forcedState })]);
    }
  } finally {
    await store.close();
  }
  if (!dryRun) await writeIdentity(dataDir, { clusterId: newClusterId, nodeId: stored.nodeId });
  return report;
}

function isForcedFor(entry: Entry, self: NodeId): boolean {
  if (entry.kind !== 'config') return false;
  try {
    const change = decodeConfChange(entry.data);
    return change.type === 'forceSoleVoter' && change.node === self;
  } catch {
    return false;
  }
}

/** The membership as of `index`: the stored snapshot's, then every config entry up to it. */
function membershipAt(log: LevelLogStore, index: number): ConfState {
  let conf = log.storedSnapshot().meta.conf;
  const first = log.firstIndex();
  if (index >= first) {
    for (const entry of log.entries(first, logIndex(index + 1), Number.MAX_SAFE_INTEGER)) {
      if (entry.kind === 'config') conf = applyConfChangeEntry(conf, entry.data);
    }
  }
  return conf;
}
