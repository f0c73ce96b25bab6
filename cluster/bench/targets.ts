/**
 * The two systems the Raft benchmarks drive, behind one interface so the load and the fault
 * injection are literally the same code for both: a Baton process cluster and an etcd cluster.
 */
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
  readonly system: 'baton' | 'etcd';
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
}
