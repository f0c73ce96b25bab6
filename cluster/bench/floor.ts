/**
 * `npm run bench -- floor [--vs-etcd]`: Baton against the floor of its own stack
 * (floor-node.ts: grpc-js in and out, a grpc-js stream to each follower, one synced LevelDB
 * batch per append on every node, and nothing else), with etcd beside both if asked. The same
 * load, rounds and client as `raft`. Baton/floor is what Baton's own work costs a write;
 * floor/etcd is what the stack costs against etcd's; the nodes' CPU per write says where.
 */
import { ensureEtcdInstalled, ETCD_DEFAULT_TIMERS } from './etcd/etcd.ts';
import { machine, printTable, type Bench, type BenchResult } from './bench.ts';
import {
  ratio,
  throughput,
  THROUGHPUT_CLIENT,
  throughputSettings,
  withTargets,
  type ThroughputRow,
} from './raft.ts';
import { BatonTarget, EtcdTarget, FloorTarget, type BenchTarget } from './targets.ts';

/** Which system each ratio compares with which, numerator first. */
const RATIOS: ReadonlyArray<readonly [string, string]> = [
  ['baton', 'floor'],
  ['floor', 'etcd'],
  ['baton', 'etcd'],
];

/** A row's system without its details ("etcd 100/1000 ms" → "etcd"). */
function systemOf(row: ThroughputRow): string {
  return row.system.split(' ')[0]!;
}

function ratioRows(rows: readonly ThroughputRow[]): BenchResult[] {
  const ratios: BenchResult[] = [];
  for (const [a, b] of RATIOS) {
    for (const row of rows.filter((r) => systemOf(r) === a)) {
      const other = rows.find((r) => systemOf(r) === b && r.concurrency === row.concurrency);
      if (other === undefined) continue;
      ratios.push({
        kind: 'ratio',
        figure: `${a}/${b}`,
        concurrency: row.concurrency,
        opsPerSecond: ratio(row.opsPerSecond, other.opsPerSecond),
        p50Ms: ratio(row.p50Ms, other.p50Ms),
        p99Ms: ratio(row.p99Ms, other.p99Ms),
      });
    }
  }
  return ratios;
}

export const floorBench: Bench = {
  name: 'floor',
  description:
    'Baton against the floor of its stack (grpc-js + LevelDB, no Raft), and etcd with --vs-etcd: where a write goes',
  async run(options) {
    const etcdVersion = options.vsEtcd ? ensureEtcdInstalled() : undefined;
    const starters: Array<() => Promise<BenchTarget>> = [
      () => FloorTarget.start(THROUGHPUT_CLIENT),
      () => BatonTarget.start(THROUGHPUT_CLIENT),
    ];
    if (options.vsEtcd)
      starters.push(() => EtcdTarget.start(THROUGHPUT_CLIENT, ETCD_DEFAULT_TIMERS));
    // It always compares systems, so it alternates them over 3 rounds unless told otherwise.
    const measured = { ...options, rounds: options.roundsGiven ? options.rounds : 3 };
    const rows = await withTargets(starters, (targets) => throughput(targets, measured));
    const ratios = ratioRows(rows);
    printTable('throughput (100-byte Put, 3 nodes, loopback)', rows);
    printTable('ratios (ops/s: higher is better; latencies: lower is better)', ratios);
    return {
      bench: 'floor',
      machine: machine(),
      settings: {
        ...throughputSettings(measured),
        etcd: etcdVersion ?? null,
        floor:
          'cluster/bench/floor-node.ts: grpc-js unary in, a grpc-js stream per follower, one synced LevelDB batch (entries + hard state) per append on each node, group commit on the leader; answers once its own and one follower batch hold the put',
      },
      results: [...rows, ...ratios],
    };
  },
};
