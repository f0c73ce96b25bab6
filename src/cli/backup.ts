/**
 * `baton backup save|restore|inspect`: a copy of the cluster's state in a file, and a new
 * cluster's first node made from one (the way back when every data directory is lost, and a
 * point-in-time copy before an upgrade or a risky change).
 */
import * as grpc from '@grpc/grpc-js';
import { clusterIdSchema, ConfigError, NODE_ID_PATTERN } from '../config/index.ts';
import { BatonError, logIndex, nodeId, term as toTerm } from '../lib/index.ts';
import { readBackupFile, restoreBackup, writeBackupFile } from '../storage/index.ts';
import type { Backup } from '../storage/index.ts';
import type { ReadIndexResponse__Output } from '../gen/baton/v1/ReadIndexResponse.ts';
import type { CliClient } from './client.ts';

export interface SaveFlags {
  readonly backupTimeoutMs: number;
  /** Save what the serving node holds without asking a leader for the read index. */
  readonly withoutLeader: boolean;
}

export async function runBackupSave(
  client: CliClient,
  file: string,
  flags: SaveFlags,
): Promise<void> {
  const readIndex = flags.withoutLeader ? 0 : await leaderReadIndex(client);
  const { endpoint, header, data } = await client.backup(flags.backupTimeoutMs, readIndex);
  const backup: Backup = {
    header: {
      clusterId: header.clusterId,
      nodeId: header.nodeId,
      index: logIndex(header.index),
      term: toTerm(header.term),
      voters: header.voters,
      learners: header.learners,
      dataBytes: header.dataBytes,
      dataCrc32c: header.dataCrc32c,
      createdAt: new Date().toISOString(),
    },
    data,
  };
  await writeBackupFile(file, backup);
  console.log(
    readIndex === 0
      ? `saved ${file}: ${describeBackup(backup)} (served by ${endpoint}, without a leader: writes acknowledged elsewhere may be missing)`
      : `saved ${file}: ${describeBackup(backup)} (served by ${endpoint}; it includes every write acknowledged before the save began: read index ${readIndex})`,
  );
}

/**
 * Every write acknowledged before now is at or below the leader's read index: the node that
 * serves the backup must have applied it (one cut off from the leader, or catching up, refuses,
 * and the next endpoint is asked).
 */
async function leaderReadIndex(client: CliClient): Promise<number> {
  try {
    const { index } = await client.admin<ReadIndexResponse__Output>(
      (c, m, o, cb) => c.ReadIndex({}, m, o, cb),
      true,
    );
    return index;
  } catch (error) {
    if ((error as { code?: unknown }).code === grpc.status.UNIMPLEMENTED) {
      throw new BatonError(
        'FAILED_PRECONDITION',
        'the node answering predates Admin.ReadIndex (an older Baton): upgrade the cluster first, or add --without-leader to save what a node holds',
      );
    }
    throw new BatonError(
      'UNAVAILABLE',
      `no leader gave a read index, so no node can be shown to hold every acknowledged write (${describe(error)}). ` +
        'If the cluster cannot elect one (a quorum is lost), save what a node holds anyway with --without-leader, ' +
        "from the node that was most up to date (baton cluster status --all shows each one's applied index)",
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface RestoreFlags {
  data: string;
  id: string;
  clusterId: string;
}

export async function runBackupRestore(file: string, flags: RestoreFlags): Promise<void> {
  if (!NODE_ID_PATTERN.test(flags.id))
    throw new ConfigError(
      `--id ${JSON.stringify(flags.id)}: a node id is 1-63 characters: letters, digits, "_", ".", "-"`,
    );
  const clusterId = clusterIdSchema.safeParse(flags.clusterId);
  if (!clusterId.success)
    throw new ConfigError(
      `--cluster-id ${JSON.stringify(flags.clusterId)}: ${clusterId.error.issues[0]?.message ?? 'invalid'}`,
    );
  const backup = await readBackupFile(file);
  await restoreBackup({
    backup,
    dataDir: flags.data,
    nodeId: nodeId(flags.id),
    clusterId: clusterId.data,
  });
  console.log(
    [
      `restored ${file} into ${flags.data}: ${describeBackup(backup)}`,
      `node ${flags.id} is the only voter of cluster "${clusterId.data}"; its log continues after index ${backup.header.index}`,
      '',
      'Next:',
      `  1. start it: baton server --id ${flags.id} --data ${flags.data} --cluster-id ${clusterId.data} --listen <host:port>`,
      `  2. add members: start each with an empty --data and --join --cluster-id ${clusterId.data}, then baton cluster add-node`,
      '  Writes acknowledged after the backup was taken are not in it.',
    ].join('\n'),
  );
}

export async function runBackupInspect(file: string): Promise<void> {
  const backup = await readBackupFile(file);
  console.log(`${file}: ${describeBackup(backup)}; checksums verified`);
}

function describeBackup({ header }: Backup): string {
  return (
    `cluster "${header.clusterId}" at index ${header.index} (term ${header.term}), ` +
    `${header.dataBytes} bytes of state, taken ${header.createdAt} from node ${header.nodeId}; ` +
    `members then: voters ${header.voters.join(' ') || '(none)'}` +
    (header.learners.length > 0 ? `, learners ${header.learners.join(' ')}` : '')
  );
}
