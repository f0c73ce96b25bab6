/**
 * A cluster of real `baton server` processes on loopback: start N nodes, find the leader, inject
 * process faults (kill -9, SIGTERM, SIGSTOP/SIGCONT), restart, wipe a data directory, grow and
 * shrink through the Admin service, and wait for replicas to converge.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusResponse } from './api.ts';
import { BatonClient, type ClientOptions } from './client.ts';
import { NodeProcessError, WaitTimeoutError } from './errors.ts';
import {
  defaultNodeCommand,
  NodeProcess,
  runCommand,
  type CommandResult,
  type ExitInfo,
  type NodeCommand,
} from './node-process.ts';
import { freePorts } from '../../src/lib/testing/ports.ts';
import { sleep } from './stats.ts';

export interface ClusterOptions {
  size: number;
  /** Where data directories and logs go; a new temporary directory when absent. BATON_KEEP_CLUSTER=1 keeps the temporary one (for reading logs after a failure). */
  baseDir?: string;
  /** Keep baseDir on shutdown (always kept when given explicitly). */
  keepBaseDir?: boolean;
  clusterId?: string;
  /** Fixed ports (`npm start`); free loopback ports when absent. */
  listenPorts?: readonly number[];
  metricsPorts?: readonly number[];
  /** Extra `baton server` flags for every node (e.g. a small snapshot interval). */
  nodeArgs?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Environment for one node only, over `env` (e.g. a setting that differs on one member). */
  nodeEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  command?: NodeCommand;
  /** Receives node output lines instead of log files. */
  onLine?: (nodeId: string, line: string) => void;
  /** Start nodes in their own process groups (see StartOptions.detached). */
  detached?: boolean;
  client?: Omit<ClientOptions, 'endpoints'>;
}

export interface LeaderInfo {
  id: string;
  address: string;
  status: StatusResponse;
}

export const STATUS_POLL_INTERVAL_MS = 50;
export const STATUS_DEADLINE_MS = 500;
export const GRACEFUL_STOP_TIMEOUT_MS = 15_000;
export const EARLY_EXIT_CHECK_MS = 300;
/** A restarted node opens its gRPC port after opening and checking its data directory. */
export const RESTART_READY_TIMEOUT_MS = 30_000;

const liveClusters = new Set<ProcessCluster>();
process.on('exit', () => {
  for (const cluster of liveClusters) cluster.killAllNow();
});

export class ProcessCluster {
  readonly baseDir: string;
  /** Changes only when the harness recovers the cluster as a new one (forceNewCluster). */
  clusterId: string;
  readonly client: BatonClient;
  /** Every node ever created, by id; `members` is the current configuration as the harness sees it. */
  readonly nodes = new Map<string, NodeProcess>();
  readonly members = new Set<string>();
  private readonly options: ClusterOptions;
  private readonly command: NodeCommand;
  private readonly removeBaseDir: boolean;
  /** Nodes the harness started and has not stopped: if one is gone, it crashed on its own. */
  private readonly expectedRunning = new Set<string>();
  private nextIdNumber: number;

  private constructor(
    options: ClusterOptions,
    baseDir: string,
    removeBaseDir: boolean,
    ports: { listen: readonly number[]; metrics: readonly number[] },
  ) {
    this.options = options;
    this.baseDir = baseDir;
    this.removeBaseDir = removeBaseDir;
    this.clusterId = options.clusterId ?? 'test';
    this.command = options.command ?? defaultNodeCommand();
    this.nextIdNumber = options.size + 1;
    this.client = new BatonClient({
      ...options.client,
      endpoints: ports.listen.slice(0, options.size).map((port) => `127.0.0.1:${port}`),
    });
    for (let i = 0; i < options.size; i++) {
      const id = `n${i + 1}`;
      this.define(id, ports.listen[i]!, ports.metrics[i]!);
      this.members.add(id);
    }
  }

  /** Creates the node specs and starts every node; does not wait for a leader. */
  static async start(options: ClusterOptions): Promise<ProcessCluster> {
    const given = options.baseDir;
    const baseDir = given ?? mkdtempSync(join(tmpdir(), 'baton-cluster-'));
    mkdirSync(baseDir, { recursive: true });
    const keep = options.keepBaseDir === true || process.env['BATON_KEEP_CLUSTER'] === '1';
    const free = await freePorts(2 * options.size);
    const listen = options.listenPorts ?? free.slice(0, options.size);
    const metrics = options.metricsPorts ?? free.slice(options.size);
    if (listen.length < options.size || metrics.length < options.size) {
      throw new RangeError(
        `a cluster of ${options.size} needs ${options.size} listen and metrics ports`,
      );
    }
    const cluster = new ProcessCluster(options, baseDir, given === undefined && !keep, {
      listen,
      metrics,
    });
    liveClusters.add(cluster);
    for (const id of cluster.members) cluster.launch(id, false);
    await cluster.checkNoEarlyExit([...cluster.members]);
    return cluster;
  }

  node(id: string): NodeProcess {
    const node = this.nodes.get(id);
    if (node === undefined) throw new NodeProcessError(`the cluster has no node ${id}`);
    return node;
  }

  address(id: string): string {
    return this.node(id).spec.address;
  }

  /** Members whose process is running. */
  runningMembers(): string[] {
    return [...this.members].filter((id) => this.node(id).running);
  }

  /** The gRPC addresses of the running members. */
  endpoints(): string[] {
    return this.runningMembers().map((id) => this.address(id));
  }

  private define(id: string, listenPort: number, metricsPort: number): NodeProcess {
    const node = new NodeProcess({
      id,
      address: `127.0.0.1:${listenPort}`,
      metricsAddress: `127.0.0.1:${metricsPort}`,
      dataDir: join(this.baseDir, id),
      logFile: join(this.baseDir, `${id}.log`),
    });
    this.nodes.set(id, node);
    this.client.addEndpoint(node.spec.address);
    return node;
  }

  private launch(id: string, join: boolean, clusterId = this.clusterId): void {
    const node = this.node(id);
    const peers = new Map<string, string>();
    for (const member of this.members) {
      if (member !== id) peers.set(member, this.address(member));
    }
    const onLine = this.options.onLine;
    this.expectedRunning.add(id);
    node.start({
      peers,
      clusterId,
      join,
      extraArgs: this.options.nodeArgs ?? [],
      env: { ...this.options.env, ...this.options.nodeEnv?.[id] },
      command: this.command,
      detached: this.options.detached ?? false,
      ...(onLine === undefined
        ? {}
        : {
            onLine: (line: string) => {
              onLine(id, line);
            },
          }),
    });
  }

  /** A node that dies right after starting has a configuration problem: say so with its log. */
  private async checkNoEarlyExit(ids: readonly string[]): Promise<void> {
    await sleep(EARLY_EXIT_CHECK_MS);
    for (const id of ids) {
      const node = this.node(id);
      if (!node.running) {
        throw new NodeProcessError(
          `node ${id} exited at start (${JSON.stringify(node.exitInfo)}); ` +
            `log ${node.spec.logFile}:\n${node.logTail()}`,
        );
      }
    }
  }

  /** Throws, with its log's tail, if a node the harness did not stop has exited. */
  checkNoCrash(): void {
    for (const id of this.expectedRunning) {
      const node = this.node(id);
      if (node.running) continue;
      this.expectedRunning.delete(id);
      throw new NodeProcessError(
        `node ${id} exited on its own (${JSON.stringify(node.exitInfo)}); ` +
          `log ${node.spec.logFile}:\n${node.logTail()}`,
      );
    }
  }

  /** Each running member's own status; a node that does not answer maps to its error. */
  async statuses(
    ids: readonly string[] = this.runningMembers(),
  ): Promise<Map<string, StatusResponse | Error>> {
    const entries = await Promise.all(
      ids.map(async (id): Promise<[string, StatusResponse | Error]> => {
        try {
          return [id, await this.client.statusOf(this.address(id), STATUS_DEADLINE_MS)];
        } catch (error) {
          return [id, error instanceof Error ? error : new Error(String(error))];
        }
      }),
    );
    return new Map(entries);
  }

  /** The running member that reports itself leader in the highest term, if any. */
  async findLeader(): Promise<LeaderInfo | undefined> {
    let best: LeaderInfo | undefined;
    for (const [id, status] of await this.statuses()) {
      if (status instanceof Error || status.role.toLowerCase() !== 'leader') continue;
      if (best === undefined || status.term > best.status.term) {
        best = { id, address: this.address(id), status };
      }
    }
    return best;
  }

  /** Waits until a running member reports itself leader, optionally one other than `not`. */
  async waitForLeader(timeoutMs = 30_000, not?: string): Promise<LeaderInfo> {
    const startMs = performance.now();
    for (;;) {
      this.checkNoCrash();
      const leader = await this.findLeader();
      if (leader !== undefined && leader.id !== not) return leader;
      if (performance.now() - startMs > timeoutMs) {
        throw new WaitTimeoutError(
          `no leader${not === undefined ? '' : ` other than ${not}`} within ${timeoutMs} ms; logs in ${this.baseDir}`,
        );
      }
      await sleep(STATUS_POLL_INTERVAL_MS);
    }
  }

  /**
   * Waits until every given node has applied at least the leader's commit index as it was when
   * the wait started, i.e. every write acknowledged before the call is applied everywhere.
   */
  async waitForConvergence(
    ids: readonly string[] = this.runningMembers(),
    timeoutMs = 30_000,
  ): Promise<number> {
    const leader = await this.waitForLeader(timeoutMs);
    const target = leader.status.commitIndex;
    const startMs = performance.now();
    for (;;) {
      this.checkNoCrash();
      const statuses = await this.statuses(ids);
      const behind = [...statuses].filter(([, s]) => s instanceof Error || s.appliedIndex < target);
      if (behind.length === 0) return target;
      if (performance.now() - startMs > timeoutMs) {
        const detail = behind
          .map(
            ([id, s]) => `${id}: ${s instanceof Error ? s.message : `applied ${s.appliedIndex}`}`,
          )
          .join(', ');
        throw new WaitTimeoutError(
          `nodes did not reach applied index ${target} within ${timeoutMs} ms (${detail})`,
        );
      }
      await sleep(STATUS_POLL_INTERVAL_MS);
    }
  }

  /** Sends a signal: SIGKILL (crash), SIGTERM (graceful stop), SIGSTOP/SIGCONT (pause/resume). */
  signal(id: string, signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT')
      this.expectedRunning.delete(id);
    this.node(id).signal(signal);
  }

  /** kill -9 and wait until the process is gone. */
  async kill(id: string): Promise<void> {
    this.signal(id, 'SIGKILL');
    await this.node(id).waitForExit(GRACEFUL_STOP_TIMEOUT_MS);
  }

  /** SIGTERM and wait for a clean exit (SIGKILL after the timeout). */
  async stop(id: string, timeoutMs = GRACEFUL_STOP_TIMEOUT_MS): Promise<void> {
    const node = this.node(id);
    if (!node.running) return;
    this.signal(id, 'SIGTERM');
    await node.waitForExit(timeoutMs);
  }

  pause(id: string): void {
    this.signal(id, 'SIGSTOP');
  }

  resume(id: string): void {
    this.signal(id, 'SIGCONT');
  }

  /**
   * Starts a stopped node again on its data directory (empty if wiped: it then joins), with the
   * cluster's id unless `clusterId` says otherwise (a member of a cluster since recovered).
   */
  async restart(id: string, options: { join?: boolean; clusterId?: string } = {}): Promise<void> {
    this.launch(id, options.join ?? false, options.clusterId);
    await this.checkNoEarlyExit([id]);
    await this.client.pool.waitForReady(this.address(id), RESTART_READY_TIMEOUT_MS);
  }

  /** Deletes a stopped node's data directory. */
  wipe(id: string): void {
    const node = this.node(id);
    if (node.running) throw new NodeProcessError(`stop node ${id} before wiping its data`);
    rmSync(node.spec.dataDir, { recursive: true, force: true });
  }

  /** Starts a fresh node with --join and adds it through Admin.AddNode; returns its id. */
  async addNode(): Promise<string> {
    const id = await this.startJoiner();
    await this.client.addNode(id, this.address(id));
    this.members.add(id);
    return id;
  }

  /**
   * Starts a fresh node with --join that nobody has added yet (the caller adds it, e.g. through
   * the CLI); it is not counted among `members`. Returns its id.
   */
  async startJoiner(): Promise<string> {
    const id = `n${this.nextIdNumber++}`;
    const [listenPort, metricsPort] = await freePorts(2);
    this.define(id, listenPort!, metricsPort!);
    this.launch(id, true);
    await this.checkNoEarlyExit([id]);
    return id;
  }

  /**
   * Removes a member through Admin.RemoveNode, then stops its process — unless `stop` is false:
   * the node then finds out by itself and exits.
   */
  async removeNode(id: string, options: { stop?: boolean } = {}): Promise<void> {
    // A removed node stops by itself; that is not a crash.
    this.expectedRunning.delete(id);
    await this.client.removeNode(id);
    this.members.delete(id);
    this.client.removeEndpoint(this.address(id));
    if (options.stop ?? true) await this.stop(id);
  }

  /**
   * Runs `baton force-new-cluster` (the real CLI) on a stopped node's directory. Unless it is a
   * dry run and once it succeeded, the harness follows it: the cluster is `survivor` alone under
   * `newClusterId` (restart it next); the other nodes are no longer members.
   */
  async forceNewCluster(
    survivor: string,
    newClusterId: string,
    options: { dryRun?: boolean } = {},
  ): Promise<CommandResult> {
    const node = this.node(survivor);
    if (node.running) throw new NodeProcessError(`stop node ${survivor} before recovering from it`);
    const args = [
      'force-new-cluster',
      '--data',
      node.spec.dataDir,
      '--new-cluster-id',
      newClusterId,
    ];
    if (options.dryRun === true) args.push('--dry-run');
    const result = await this.runCli(args);
    if (result.code === 0 && options.dryRun !== true)
      this.adoptAsOnlyMember(survivor, newClusterId);
    return result;
  }

  /**
   * Runs `baton backup restore` (the real CLI) into a stopped node's wiped directory; once it
   * succeeded the harness follows it: the cluster is `id` alone under `clusterId` (restart it).
   */
  async restoreBackup(id: string, file: string, clusterId: string): Promise<CommandResult> {
    this.wipe(id);
    const result = await this.runCli([
      'backup',
      'restore',
      file,
      '--data',
      this.node(id).spec.dataDir,
      '--id',
      id,
      '--cluster-id',
      clusterId,
    ]);
    if (result.code === 0) this.adoptAsOnlyMember(id, clusterId);
    return result;
  }

  /** Runs a one-shot `baton` command (not a server) with the nodes' command line. */
  runCli(args: readonly string[]): Promise<CommandResult> {
    return runCommand(this.command, args);
  }

  private adoptAsOnlyMember(id: string, clusterId: string): void {
    this.clusterId = clusterId;
    for (const other of [...this.members]) {
      if (other === id) continue;
      this.members.delete(other);
      this.expectedRunning.delete(other);
      this.client.removeEndpoint(this.address(other));
    }
    this.members.add(id);
    this.client.addEndpoint(this.address(id));
  }

  /** Starts a stopped node that is expected to refuse to run; resolves with how it exited. */
  async startRefused(id: string, timeoutMs = 30_000): Promise<ExitInfo> {
    this.launch(id, false);
    this.expectedRunning.delete(id);
    return this.node(id).waitForExit(timeoutMs);
  }

  /** SIGTERM to every running node, wait, and remove the temporary directory. */
  async shutdown(): Promise<void> {
    this.expectedRunning.clear();
    const running = [...this.nodes.values()].filter((node) => node.running);
    for (const node of running) {
      try {
        node.signal('SIGCONT');
        node.signal('SIGTERM');
      } catch {
        // It exited between the check and the signal.
      }
    }
    await Promise.all(running.map((node) => node.waitForExit(GRACEFUL_STOP_TIMEOUT_MS)));
    this.client.close();
    liveClusters.delete(this);
    if (this.removeBaseDir) rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** Leaves the nodes running when the harness exits (`cluster up`). */
  detachAll(): void {
    for (const node of this.nodes.values()) node.detach();
    this.client.close();
    liveClusters.delete(this);
  }

  killAllNow(): void {
    for (const node of this.nodes.values()) node.killNow();
  }
}
