/**
 * `npm start`: a local 3-node Baton cluster on loopback. Nodes listen on 127.0.0.1:7001-7003
 * (metrics on 9101-9103), keep their data under ./data/n1..n3 across restarts and write their
 * logs to ./data/n1.log..n3.log (or to this terminal, prefixed, with --logs). Prints the
 * endpoints, then the leader whenever it changes. Ctrl-C stops every node cleanly (SIGTERM,
 * leadership handed off, wait for exit).
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ProcessCluster } from './lib/cluster.ts';
import { exitReason } from './lib/exit-reason.ts';
import { sleep } from './lib/stats.ts';

export const LOCAL_SIZE = 3;
export const LOCAL_LISTEN_PORTS = [7001, 7002, 7003];
export const LOCAL_METRICS_PORTS = [9101, 9102, 9103];
export const LEADER_POLL_INTERVAL_MS = 500;

function portList(value: string): number[] {
  const ports = value.split(',').map(Number);
  if (ports.length !== LOCAL_SIZE || !ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536))
    throw new InvalidArgumentError(`expected ${LOCAL_SIZE} ports, comma-separated`);
  return ports;
}

async function main(): Promise<void> {
  const options = new Command()
    .name('npm start --')
    .option('--data <dir>', 'base data directory', 'data')
    .option('--logs', 'print node logs here, prefixed with the node id, instead of to files', false)
    .option('--ports <list>', "the nodes' gRPC ports", portList, LOCAL_LISTEN_PORTS)
    .option('--metrics-ports <list>', 'their metrics ports', portList, LOCAL_METRICS_PORTS)
    .parse()
    .opts<{ data: string; logs: boolean; ports: number[]; metricsPorts: number[] }>();
  const baseDir = resolve(options.data);
  const colors = ['\x1b[36m', '\x1b[33m', '\x1b[35m'];
  const cluster = await ProcessCluster.start({
    size: LOCAL_SIZE,
    baseDir,
    clusterId: 'local',
    listenPorts: options.ports,
    metricsPorts: options.metricsPorts,
    detached: true,
    ...(options.logs
      ? {
          onLine: (id: string, line: string) => {
            const color = colors[(Number(id.slice(1)) - 1) % colors.length] ?? '';
            console.log(`${color}${id}\x1b[0m | ${line}`);
          },
        }
      : {}),
  });

  let stopping = false;
  /** @param exitCode 1 when a node crashed, so a script running `npm start` sees the failure. */
  const stop = (exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping: SIGTERM to every node …');
    cluster.shutdown().then(
      () => {
        console.log('all nodes stopped.');
        process.exit(exitCode);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => {
    stop();
  });
  process.on('SIGTERM', () => {
    stop();
  });

  console.log(`Baton local cluster "${cluster.clusterId}" (data under ${baseDir})`);
  for (const id of cluster.members) {
    const { spec } = cluster.node(id);
    console.log(
      `  ${id}  grpc ${spec.address}  metrics http://${spec.metricsAddress}/metrics  data ${spec.dataDir}`,
    );
  }
  if (!options.logs)
    console.log(
      `  logs: ${baseDir}/n1.log … n${LOCAL_SIZE}.log (or run with: npm start -- --logs)`,
    );
  console.log('Ctrl-C stops the cluster.');

  let lastLeader = '';
  while (!stopping) {
    const exited = [...cluster.members].filter((id) => !cluster.node(id).running);
    // A clean exit is a node removed from the cluster (it stops by itself) or stopped from
    // outside: the others keep going. Anything else is a crash, and the cluster stops with it.
    const crashed = exited.filter((id) => cluster.node(id).exitInfo?.code !== 0);
    for (const id of exited) {
      const node = cluster.node(id);
      if (crashed.includes(id)) {
        console.error(
          `node ${id} exited (${JSON.stringify(node.exitInfo)}): ${exitReason(node.logTail())}\n  see ${node.spec.logFile}`,
        );
      } else {
        const removed = node.logTail().includes(`this node (${id}) was removed from cluster`);
        const what = removed ? 'was removed from the cluster and stopped' : 'stopped cleanly';
        console.log(`node ${id} ${what}; the others keep running`);
        cluster.members.delete(id);
      }
    }
    if (crashed.length > 0 || cluster.members.size === 0) {
      stop(crashed.length > 0 ? 1 : 0);
      return;
    }
    const leader = await cluster.findLeader();
    const description =
      leader === undefined
        ? 'none (election in progress)'
        : `${leader.id} at ${leader.address} (term ${leader.status.term})`;
    if (description !== lastLeader) {
      console.log(`leader: ${description}`);
      lastLeader = description;
    }
    await sleep(LEADER_POLL_INTERVAL_MS);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
