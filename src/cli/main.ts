/** The `baton` command line. */
import { Command, InvalidArgumentError } from 'commander';
import * as grpc from '@grpc/grpc-js';
import { BatonError, formatBytes } from '../lib/index.ts';
import type { StatusResponse__Output } from '../gen/baton/v1/StatusResponse.ts';
import type { MembershipResponse__Output } from '../gen/baton/v1/MembershipResponse.ts';
import type { TransferLeadershipResponse__Output } from '../gen/baton/v1/TransferLeadershipResponse.ts';
import type { PutResponse__Output } from '../gen/baton/v1/PutResponse.ts';
import type { GetResponse__Output } from '../gen/baton/v1/GetResponse.ts';
import { CliClient, parseEndpoints } from './client.ts';
import { runBackupInspect, runBackupRestore, runBackupSave } from './backup.ts';
import type { RestoreFlags } from './backup.ts';
import { runForceNewCluster } from './force-new-cluster.ts';
import type { ForceNewClusterFlags } from './force-new-cluster.ts';
import { runServer } from './server.ts';
import { addWorkflowCommands } from './workflow.ts';
import type { ServerFlags } from './server.ts';

const DEFAULT_ENDPOINTS = '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';

interface ClientFlags {
  endpoints: string;
  timeoutMs: number;
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

function addClientOptions(command: Command): Command {
  return command
    .option(
      '-e, --endpoints <list>',
      'nodes to try, comma-separated host:port',
      process.env['BATON_ENDPOINTS'] ?? DEFAULT_ENDPOINTS,
    )
    .option('--timeout-ms <ms>', 'per-attempt deadline', positiveInt, 5000);
}

async function withClient<T>(
  flags: ClientFlags,
  work: (client: CliClient) => Promise<T>,
): Promise<T> {
  const client = new CliClient(parseEndpoints(flags.endpoints), flags.timeoutMs);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

function printStatus(status: StatusResponse__Output): void {
  console.log(
    `cluster ${status.clusterId}  node ${status.nodeId}  role ${status.role}  term ${status.term}`,
  );
  console.log(
    `leader  ${status.leaderId === '' ? '(none)' : `${status.leaderId} at ${status.leaderAddress}`}`,
  );
  console.log(
    `index   commit ${status.commitIndex}  applied ${status.appliedIndex}  last ${status.lastIndex}`,
  );
  console.log('members');
  for (const member of status.members) {
    const match = member.matchIndex > 0 ? `  match ${member.matchIndex}` : '';
    // A low voter stops client writes; a low learner only waits for its promotion.
    const effect = !member.voter
      ? 'not promoted until it has room'
      : member.diskCritical
        ? 'CRITICAL: every write refused but membership and pruning'
        : 'client writes refused';
    const disk = member.diskLow
      ? `  LOW ON DISK (${formatBytes(member.diskFreeBytes)} free; ${effect})`
      : '';
    const silent =
      member.silentMs > 0
        ? `  NOT HEARD FROM for ${(member.silentMs / 1000).toFixed(1)} s (down, paused or cut off)`
        : '';
    console.log(
      `  ${member.id.padEnd(8)} ${member.address.padEnd(22)} ${member.voter ? 'voter  ' : 'learner'}${match}${silent}${disk}`,
    );
  }
  // A follower hears only from its leader: the others' progress and disk reports are not here.
  if (status.role !== 'leader' && status.leaderAddress !== '')
    console.log(
      `(a follower's view: match indexes and the other members' disk reports are on the leader: baton cluster status -e ${status.leaderAddress})`,
    );
}

function printMembership(response: MembershipResponse__Output): void {
  console.log(`applied at index ${response.index}; members:`);
  for (const member of response.members)
    console.log(
      `  ${member.id.padEnd(8)} ${member.address.padEnd(22)} ${member.voter ? 'voter' : 'learner'}`,
    );
}

export function buildProgram(): Command {
  const program = new Command('baton')
    .description('Baton: a highly available, Raft-replicated workflow orchestrator')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });

  program
    .command('server')
    .description('run one Baton node')
    .option('--id <id>', 'this node id, e.g. n1 (env BATON_ID)')
    .option('--listen <host:port>', 'gRPC address for peers, clients and admin (env BATON_LISTEN)')
    .option('--advertise <host:port>', 'address others use to reach this node (default: --listen)')
    .option('--peers <list>', 'other members, id=host:port comma-separated (env BATON_PEERS)')
    .option('--data <dir>', 'data directory (env BATON_DATA)')
    .option(
      '--metrics-listen <host:port>',
      'HTTP /metrics, /healthz, /readyz (env BATON_METRICS_LISTEN)',
    )
    .option(
      '--cluster-id <id>',
      'cluster id, checked on every peer message and data directory (default "local")',
    )
    .option(
      '--join',
      'join an existing cluster (ask the leader: baton cluster add-node) instead of bootstrapping one',
    )
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option(
      '--config <file>',
      'JSON or YAML config file (env BATON_CONFIG); flags override env, env overrides the file',
    )
    .addHelpText(
      'after',
      `
Bootstrap voters are --id plus every --peers entry, unless --join is given.
Any setting can also come from the environment: BATON_RAFT_TICK_MS=5, BATON_REPLICA_MAX_PENDING_PROPOSALS=10000,
BATON_WORKFLOWS_CLOSED_RETENTION_MS=604800000 (how long closed workflows are kept),
BATON_STORAGE_MIN_FREE_DISK_BYTES=268435456 (free space the data volume keeps; below it on any
voter the cluster refuses new client writes until there is room; 0 turns the check off), …

Example (three nodes on one machine):
  baton server --id n1 --listen 127.0.0.1:7001 --peers n2=127.0.0.1:7002,n3=127.0.0.1:7003 --data ./data/n1 --metrics-listen 127.0.0.1:9101`,
    )
    .action(async (flags: ServerFlags) => {
      await runServer(flags);
    });

  program
    .command('force-new-cluster')
    .description(
      'disaster recovery, offline: make a stopped node the only voter of a new cluster, keeping its data (when a quorum is lost for good)',
    )
    .requiredOption(
      '--data <dir>',
      "the surviving node's data directory (the node must be stopped)",
    )
    .requiredOption(
      '--new-cluster-id <id>',
      "the recovered cluster's id (must differ: old members can then never talk to it)",
    )
    .option('--dry-run', 'show what the directory holds and what would be written; write nothing')
    .addHelpText(
      'after',
      `
Use it only when a majority of the voters are gone for good (their disks lost): while they can
come back, wait for them. Every entry in this node's log is kept and becomes committed.

Example (n2 and n3 lost; n1's directory survives):
  baton force-new-cluster --data ./data/n1 --new-cluster-id local-2 --dry-run
  baton force-new-cluster --data ./data/n1 --new-cluster-id local-2
  baton server --id n1 --listen 127.0.0.1:7001 --data ./data/n1 --cluster-id local-2
  baton server --id n4 --listen 127.0.0.1:7004 --data ./data/n4 --cluster-id local-2 --join
  baton cluster add-node --id n4 --address 127.0.0.1:7004 -e 127.0.0.1:7001`,
    )
    .action(async (flags: ForceNewClusterFlags) => {
      await runForceNewCluster(flags);
    });

  const backup = program
    .command('backup')
    .description("copy the cluster's state to a file, and start a new cluster from one");
  addClientOptions(
    backup
      .command('save')
      .description(
        "save the cluster's state to a file: every write acknowledged before the save began is in it",
      )
      .argument('<file>'),
  )
    .option('--backup-timeout-ms <ms>', 'deadline for the whole transfer', positiveInt, 600_000)
    .option(
      '--without-leader',
      "save the serving node's state without the leader's read index (a cluster that lost its quorum); it may lack acknowledged writes",
    )
    .action(
      async (
        file: string,
        flags: ClientFlags & { backupTimeoutMs: number; withoutLeader?: boolean },
      ) => {
        await withClient(flags, (client) =>
          runBackupSave(client, file, {
            backupTimeoutMs: flags.backupTimeoutMs,
            withoutLeader: flags.withoutLeader === true,
          }),
        );
      },
    );
  backup
    .command('restore')
    .description(
      'make a new data directory from a backup: its node is the only voter of a new cluster',
    )
    .argument('<file>')
    .requiredOption('--data <dir>', 'the new data directory (must not exist, or be empty)')
    .requiredOption('--id <id>', 'the node that will run on it')
    .requiredOption('--cluster-id <id>', "the restored cluster's id")
    .action(async (file: string, flags: RestoreFlags) => {
      await runBackupRestore(file, flags);
    });
  backup
    .command('inspect')
    .description("verify a backup's checksums and show where and when it was taken")
    .argument('<file>')
    .action(async (file: string) => {
      await runBackupInspect(file);
    });

  const cluster = program.command('cluster').description('inspect and change cluster membership');
  addClientOptions(
    cluster.command('status').description("show each endpoint's view of the cluster"),
  )
    .option('--all', 'ask every endpoint, not just the first that answers')
    .action(async (flags: ClientFlags & { all?: boolean }) => {
      // Endpoints in order until one answers (a stopped or removed node is skipped), or with
      // --all each of them, the unreachable ones named; it fails only when none answers.
      let lastError: unknown = null;
      let answered = 0;
      for (const endpoint of parseEndpoints(flags.endpoints)) {
        try {
          await withClient({ ...flags, endpoints: endpoint }, async (client) => {
            printStatus(
              await client.admin<StatusResponse__Output>(
                (c, m, o, cb) => c.Status({}, m, o, cb),
                false,
              ),
            );
          });
        } catch (error) {
          lastError = error;
          if (flags.all === true) console.log(`${endpoint}: no answer (${describeError(error)})\n`);
          continue;
        }
        answered++;
        if (flags.all !== true) break;
      }
      if (answered === 0) throw lastError;
    });
  addClientOptions(
    cluster.command('add-node').description('add a node (as a learner, promoted once caught up)'),
  )
    .requiredOption('--id <id>', 'the new node id')
    .requiredOption('--address <host:port>', 'its gRPC address')
    .action(async (flags: ClientFlags & { id: string; address: string }) => {
      await withClient(flags, async (client) => {
        printMembership(
          await client.admin<MembershipResponse__Output>((c, m, o, cb) =>
            c.AddNode({ id: flags.id, address: flags.address }, m, o, cb),
          ),
        );
      });
    });
  addClientOptions(
    cluster
      .command('remove-node')
      .description('remove a node from the cluster (a leader hands leadership off first)'),
  )
    .requiredOption('--id <id>', 'the node to remove')
    .action(async (flags: ClientFlags & { id: string }) => {
      await withClient(flags, async (client) => {
        printMembership(
          await client.admin<MembershipResponse__Output>((c, m, o, cb) =>
            c.RemoveNode({ id: flags.id }, m, o, cb),
          ),
        );
      });
    });
  addClientOptions(
    cluster
      .command('transfer-leader')
      .description('move leadership to a node (default: the most caught-up voter)'),
  )
    .option('--to <id>', 'the node to lead')
    .action(async (flags: ClientFlags & { to?: string }) => {
      await withClient(flags, async (client) => {
        const response = await client.admin<TransferLeadershipResponse__Output>((c, m, o, cb) =>
          c.TransferLeadership({ to: flags.to ?? '' }, m, o, cb),
        );
        console.log(`leader is now ${response.leaderId}`);
      });
    });

  const kv = program
    .command('kv')
    .description('the replicated key-value map (tests and benchmarks)');
  addClientOptions(
    kv.command('put').description('write a value').argument('<key>').argument('<value>'),
  ).action(async (key: string, value: string, flags: ClientFlags) => {
    await withClient(flags, async (client) => {
      const response = await client.kv<PutResponse__Output>((c, m, o, cb) =>
        c.Put({ key, value: Buffer.from(value, 'utf8') }, m, o, cb),
      );
      console.log(`ok (index ${response.index})`);
    });
  });
  addClientOptions(
    kv.command('get').description('read a value (linearizable unless --stale)').argument('<key>'),
  )
    .option('--stale', "read this endpoint's local state, possibly stale")
    .action(async (key: string, flags: ClientFlags & { stale?: boolean }) => {
      await withClient(flags, async (client) => {
        const response = await client.kv<GetResponse__Output>((c, m, o, cb) =>
          c.Get({ key, stale: flags.stale === true }, m, o, cb),
        );
        if (!response.found) {
          console.error(`not found: ${key}`);
          process.exitCode = 1;
          return;
        }
        console.log(response.value.toString('utf8'));
      });
    });
  addWorkflowCommands(program, { addClientOptions, withClient });
  return program;
}

export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    console.error(`baton: ${describeError(error)}`);
    process.exit(error instanceof BatonError && error.code === 'INVALID_ARGUMENT' ? 2 : 1);
  }
}

function describeError(error: unknown): string {
  if (error instanceof BatonError) return error.message;
  const maybeGrpc = error as Partial<grpc.ServiceError>;
  if (typeof maybeGrpc.code === 'number' && typeof maybeGrpc.details === 'string') {
    return `${grpc.status[maybeGrpc.code] ?? maybeGrpc.code}: ${maybeGrpc.details}`;
  }
  return error instanceof Error ? error.message : String(error);
}
