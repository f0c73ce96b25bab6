/**
 * `npx tsx cluster/cli.ts up|down|status`: a local cluster that outlives the command.
 *   up      starts N nodes in the background (data and logs under --data), waits for a leader,
 *           records the nodes in <data>/cluster.json and exits, leaving them running
 *   status  shows each node's own view (role, term, leader, commit/applied index)
 *   down    SIGTERM to every recorded node, waits for them to exit (SIGKILL after a timeout)
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { BatonClient } from './lib/client.ts';
import { GRACEFUL_STOP_TIMEOUT_MS, ProcessCluster } from './lib/cluster.ts';
import { sleep } from './lib/stats.ts';

interface RecordedNode {
  id: string;
  pid: number;
  address: string;
  metricsAddress: string;
  dataDir: string;
  logFile: string;
}

interface Recorded {
  clusterId: string;
  nodes: RecordedNode[];
}

const RECORD_FILE = 'cluster.json';
export const CLUSTER_SIZE_MAX = 9;

function size(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > CLUSTER_SIZE_MAX) {
    throw new InvalidArgumentError(`expected 1..${CLUSTER_SIZE_MAX}`);
  }
  return value;
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new InvalidArgumentError('expected a port');
  return value;
}

function readRecord(dataDir: string): Recorded {
  const file = join(dataDir, RECORD_FILE);
  if (!existsSync(file))
    throw new Error(`no cluster recorded in ${file}; start one with: cluster up --data ${dataDir}`);
  return JSON.parse(readFileSync(file, 'utf8')) as Recorded;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function up(options: {
  data: string;
  size: number;
  basePort: number;
  metricsBasePort: number;
}): Promise<void> {
  const dataDir = resolve(options.data);
  if (existsSync(join(dataDir, RECORD_FILE))) {
    const running = readRecord(dataDir).nodes.filter((node) => alive(node.pid));
    if (running.length > 0)
      throw new Error(
        `a cluster is already running from ${dataDir}; run: cluster down --data ${options.data}`,
      );
  }
  const range = (base: number): number[] =>
    Array.from({ length: options.size }, (_, i) => base + i);
  const cluster = await ProcessCluster.start({
    size: options.size,
    baseDir: dataDir,
    clusterId: 'local',
    listenPorts: range(options.basePort),
    metricsPorts: range(options.metricsBasePort),
    detached: true,
  });
  const record: Recorded = {
    clusterId: cluster.clusterId,
    nodes: [...cluster.members].map((id) => {
      const node = cluster.node(id);
      return { pid: node.pid!, ...node.spec };
    }),
  };
  writeFileSync(join(dataDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  const leader = await cluster.waitForLeader();
  for (const node of record.nodes) {
    console.log(
      `${node.id}  pid ${node.pid}  grpc ${node.address}  metrics ${node.metricsAddress}  log ${node.logFile}`,
    );
  }
  console.log(`leader: ${leader.id} at ${leader.address} (term ${leader.status.term})`);
  cluster.detachAll();
}

async function status(options: { data: string }): Promise<void> {
  const record = readRecord(resolve(options.data));
  const client = new BatonClient({ endpoints: record.nodes.map((node) => node.address) });
  try {
    for (const node of record.nodes) {
      try {
        const s = await client.statusOf(node.address, 1_000);
        const leader = s.leaderId === '' ? '(none)' : s.leaderId;
        console.log(
          `${node.id}  ${s.role.padEnd(9)} term ${s.term}  leader ${leader}  ` +
            `commit ${s.commitIndex}  applied ${s.appliedIndex}  members ${s.members.map((m) => m.id + (m.voter ? '' : '(learner)')).join(',')}`,
        );
      } catch (error) {
        console.log(
          `${node.id}  unreachable at ${node.address} (${alive(node.pid) ? `pid ${node.pid} alive` : 'not running'}): ${String(error)}`,
        );
      }
    }
  } finally {
    client.close();
  }
}

async function down(options: { data: string }): Promise<void> {
  const dataDir = resolve(options.data);
  const record = readRecord(dataDir);
  const running = record.nodes.filter((node) => alive(node.pid));
  for (const node of running) process.kill(node.pid, 'SIGTERM');
  const startMs = performance.now();
  while (running.some((node) => alive(node.pid))) {
    if (performance.now() - startMs > GRACEFUL_STOP_TIMEOUT_MS) {
      for (const node of running.filter((n) => alive(n.pid))) {
        console.log(`${node.id} did not stop within ${GRACEFUL_STOP_TIMEOUT_MS} ms: SIGKILL`);
        process.kill(node.pid, 'SIGKILL');
      }
      break;
    }
    await sleep(50);
  }
  rmSync(join(dataDir, RECORD_FILE), { force: true });
  console.log(`stopped ${running.length} node(s); data kept in ${dataDir}`);
}

const program = new Command().name('cluster').description('a local Baton cluster on loopback');
program
  .command('up')
  .option('--data <dir>', 'base data directory', 'data')
  .option('--size <n>', 'number of nodes', size, 3)
  .option('--base-port <port>', 'gRPC port of n1 (n2 is +1 …)', port, 7001)
  .option('--metrics-base-port <port>', 'metrics port of n1', port, 9101)
  .action(up);
program.command('status').option('--data <dir>', 'base data directory', 'data').action(status);
program.command('down').option('--data <dir>', 'base data directory', 'data').action(down);

program.parseAsync().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
