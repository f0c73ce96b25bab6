/**
 * The systems the Raft benchmarks drive, behind one interface so the load and the fault
 * injection are literally the same code for all: a Baton process cluster, an etcd cluster, and
 * the floor (floor-node.ts: Baton's stack carrying a write with none of Baton in it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import type { ChannelSettings } from '../lib/channels.ts';
import type { BatonClient, RetryPolicy } from '../lib/client.ts';
import { ProcessCluster } from '../lib/cluster.ts';
import { scrapeMetric } from '../lib/metrics.ts';
import {
  EtcdClient,
  EtcdCluster,
  waitForEtcdApplied,
  waitForEtcdLeader,
  type EtcdTimers,
} from './etcd/etcd.ts';

export interface BenchTarget {
  readonly system: 'baton' | 'etcd' | 'floor';
  /** e.g. "etcd 100/1000 ms". */
  readonly label: string;
  /** Waits for a leader, points the client at it and returns its id. */
  waitForLeader(): Promise<string>;
  /** One write through the retrying client (to the leader, as far as the client knows). */
  put(key: string, value: Uint8Array): Promise<void>;
  /** kill -9: the signal is sent synchronously by the call; resolves once the process has exited. */
  kill(id: string): Promise<void>;
  restart(id: string): Promise<void>;
  /** Waits until every running member has applied what the leader has committed. */
  waitCaughtUp(): Promise<void>;
  shutdown(): Promise<void>;
  /** Failed attempts so far, by gRPC status name. */
  failedAttempts(): Record<string, number>;
  /** Cumulative internal counters of the leader (Baton: from /metrics), for per-level deltas. */
  counters?(): Promise<LeaderCounters>;
  /**
   * Freezes (SIGSTOP) or thaws (SIGCONT) every member at once, so that a cluster waiting for its
   * turn takes no CPU from the one being measured. All members stop together: no timeout runs
   * while frozen (Raft counts ticks, and missed ticks are not replayed), so no election follows.
   */
  pause(): void;
  resume(): void;
  /** The running members' process ids (for their CPU time per write). */
  processIds(): number[];
}

export interface LeaderCounters {
  leader: string;
  values: Record<string, number>;
}

/** The leader's histogram sums and counts that explain a throughput figure. */
export const LEADER_COUNTERS = [
  'baton_raft_append_seconds_sum',
  'baton_raft_append_seconds_count',
  'baton_raft_append_batch_entries_sum',
  'baton_raft_append_batch_entries_count',
  'baton_raft_apply_seconds_sum',
  'baton_raft_apply_seconds_count',
] as const;

export interface ClientSettings {
  channels: Partial<ChannelSettings>;
  retry: Partial<RetryPolicy>;
}

export class BatonTarget implements BenchTarget {
  readonly system = 'baton';
  readonly label: string;
  /**
   * The client the load goes through, with the same settings as the etcd client. A follower that
   * gets a call forwards it and names the leader in its answer, and the client follows; but
   * waitForLeader() points it at the leader first, as the etcd client is, so that no measured
   * call pays that extra hop.
   */
  private readonly client: BatonClient;

  private constructor(
    private readonly cluster: ProcessCluster,
    label: string,
  ) {
    this.label = label;
    this.client = cluster.client;
  }

  static async start(
    client: ClientSettings,
    nodeArgs: readonly string[] = [],
  ): Promise<BatonTarget> {
    const cluster = await ProcessCluster.start({ size: 3, clusterId: 'bench', nodeArgs, client });
    return new BatonTarget(cluster, 'baton');
  }

  get logDir(): string {
    return this.cluster.baseDir;
  }

  async waitForLeader(): Promise<string> {
    const leader = await this.cluster.waitForLeader();
    this.client.prefer(leader.address);
    return leader.id;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.client.put(key, value);
  }

  async kill(id: string): Promise<void> {
    await this.cluster.kill(id);
  }

  async restart(id: string): Promise<void> {
    await this.cluster.restart(id);
  }

  async waitCaughtUp(): Promise<void> {
    await this.cluster.waitForConvergence();
  }

  async shutdown(): Promise<void> {
    this.resume();
    await this.cluster.shutdown();
  }

  failedAttempts(): Record<string, number> {
    return Object.fromEntries(this.client.stats.retriesByCode);
  }

  pause(): void {
    for (const id of this.cluster.members)
      if (this.cluster.node(id).running) this.cluster.signal(id, 'SIGSTOP');
  }

  resume(): void {
    for (const id of this.cluster.members)
      if (this.cluster.node(id).running) this.cluster.signal(id, 'SIGCONT');
  }

  processIds(): number[] {
    return [...this.cluster.members].flatMap((id) => {
      const pid = this.cluster.node(id).pid;
      return pid === undefined ? [] : [pid];
    });
  }

  async counters(): Promise<LeaderCounters> {
    const leader = await this.cluster.waitForLeader();
    const metricsAddress = this.cluster.node(leader.id).spec.metricsAddress;
    const values: Record<string, number> = {};
    for (const name of LEADER_COUNTERS) {
      values[name] = (await scrapeMetric(metricsAddress, name)) ?? Number.NaN;
    }
    return { leader: leader.id, values };
  }
}

export class EtcdTarget implements BenchTarget {
  readonly system = 'etcd';
  readonly label: string;
  private constructor(
    private readonly cluster: EtcdCluster,
    private readonly client: EtcdClient,
  ) {
    this.label = `etcd ${cluster.timers.heartbeatMs}/${cluster.timers.electionMs} ms`;
  }

  static async start(client: ClientSettings, timers: EtcdTimers): Promise<EtcdTarget> {
    const cluster = await EtcdCluster.start(3, timers);
    return new EtcdTarget(
      cluster,
      new EtcdClient(cluster.addresses(), client.channels, client.retry),
    );
  }

  async waitForLeader(): Promise<string> {
    const leader = await waitForEtcdLeader(this.cluster, this.client);
    this.client.prefer(this.cluster.address(leader));
    return leader;
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.client.put(key, value);
  }

  async kill(id: string): Promise<void> {
    await this.cluster.kill(id);
  }

  async restart(id: string): Promise<void> {
    await this.cluster.restart(id);
  }

  async waitCaughtUp(): Promise<void> {
    const leader = await this.waitForLeader();
    const { appliedIndex } = await this.client.status(this.cluster.address(leader));
    await waitForEtcdApplied(this.cluster, this.client, appliedIndex);
  }

  failedAttempts(): Record<string, number> {
    return Object.fromEntries(this.client.retriesByCode);
  }

  async shutdown(): Promise<void> {
    this.client.close();
    this.cluster.signalAll('SIGCONT');
    await this.cluster.shutdown();
  }

  pause(): void {
    this.cluster.signalAll('SIGSTOP');
  }

  resume(): void {
    this.cluster.signalAll('SIGCONT');
  }

  processIds(): number[] {
    return this.cluster.processIds();
  }
}

const FLOOR_NODE = fileURLToPath(new URL('./floor-node.ts', import.meta.url));
const FLOOR_READY_TIMEOUT_MS = 30_000;

/**
 * The floor: three floor-node.ts processes (a fixed leader and two followers) reached through
 * the etcd client, whose KV.Put they speak. It measures what Baton's parts cost a write by
 * themselves, so that Baton's own share of a write is the difference. It has no failover.
 */
export class FloorTarget implements BenchTarget {
  readonly system = 'floor';
  readonly label = 'floor';

  private constructor(
    /** The nodes' data directories live here; shutdown removes it. */
    readonly baseDir: string,
    private readonly processes: ChildProcess[],
    private readonly client: EtcdClient,
  ) {}

  static async start(client: ClientSettings): Promise<FloorTarget> {
    const baseDir = mkdtempSync(join(tmpdir(), 'baton-floor-'));
    const processes: ChildProcess[] = [];
    try {
      const launch = (args: string[]): Promise<number> => {
        const child = spawn(
          process.execPath,
          [...SERVER_NODE_FLAGS, '--import', 'tsx', FLOOR_NODE, ...args],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        processes.push(child);
        return floorReady(child);
      };
      const followers = await Promise.all(
        ['f2', 'f3'].map((name) => launch(['--role', 'follower', '--data', join(baseDir, name)])),
      );
      const addresses = followers.map((port) => `127.0.0.1:${port}`);
      const leaderPort = await launch([
        '--role',
        'leader',
        '--data',
        join(baseDir, 'f1'),
        '--followers',
        addresses.join(','),
      ]);
      const leader = `127.0.0.1:${leaderPort}`;
      return new FloorTarget(
        baseDir,
        processes,
        new EtcdClient([leader], client.channels, client.retry),
      );
    } catch (error) {
      for (const child of processes) child.kill('SIGKILL');
      rmSync(baseDir, { recursive: true, force: true });
      throw error;
    }
  }

  waitForLeader(): Promise<string> {
    return Promise.resolve('f1');
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.client.put(key, value);
  }

  kill(): Promise<void> {
    return Promise.reject(new Error('the floor has no failover: it cannot lose its leader'));
  }

  restart(): Promise<void> {
    return this.kill();
  }

  async waitCaughtUp(): Promise<void> {}

  failedAttempts(): Record<string, number> {
    return Object.fromEntries(this.client.retriesByCode);
  }

  async shutdown(): Promise<void> {
    this.client.close();
    await Promise.all(
      this.processes.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise<void>((resolve) =>
          child.once('exit', () => {
            resolve();
          }),
        );
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  pause(): void {
    for (const child of this.processes) child.kill('SIGSTOP');
  }

  resume(): void {
    for (const child of this.processes) child.kill('SIGCONT');
  }

  processIds(): number[] {
    return this.processes.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }
}

/** Resolves with the port a floor node printed (`READY <port>`); rejects if it exits first. */
function floorReady(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`a floor node did not start within ${FLOOR_READY_TIMEOUT_MS} ms`));
    }, FLOOR_READY_TIMEOUT_MS);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`a floor node exited with code ${code} before it was ready`));
    };
    child.once('exit', onExit);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^READY (\d+)$/.exec(line);
      if (match === null) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      resolve(Number(match[1]));
    });
  });
}
