/**
 * Several replicas in one process: real LevelDB in temp directories, MemoryTransport between
 * them. Used by the replica tests. Waits poll a condition with a generous ceiling; nothing here
 * asserts a duration.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../config/index.ts';
import type { BatonConfig } from '../../config/index.ts';
import { nodeId } from '../../lib/index.ts';
import type { NodeId } from '../../lib/index.ts';
import { pino } from 'pino';
import type { ReplicaLogStore, ReplicaStateStore } from '../types.ts';
import { NodeMetrics } from '../../observability/index.ts';
import { openNodeStore } from '../../storage/index.ts';
import type { NodeStore } from '../../storage/index.ts';
import { MemoryTransport, MemoryTransportNetwork } from '../../transport/index.ts';
import { Replica } from '../replica.ts';
import { createNodeStateMachine } from '../router.ts';

const WAIT_CEILING_MS = 30_000;
const POLL_INTERVAL_MS = 10;

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ceilingMs = WAIT_CEILING_MS,
): Promise<void> {
  const deadline = Date.now() + ceilingMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

export interface TestNode {
  readonly id: NodeId;
  readonly replica: Replica;
  readonly store: NodeStore;
  readonly transport: MemoryTransport;
  readonly metrics: NodeMetrics;
}

export type SettingsOverrides = {
  raft?: Partial<BatonConfig['raft']>;
  replica?: Partial<BatonConfig['replica']>;
};

/** A warn-or-worse log line a node wrote (see TestCluster.warnings). */
export interface LoggedWarning {
  readonly node: string;
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * One disk under every node, as on a single machine: stall() makes every log write started from
 * then on wait until resume(), like an fsync that hangs for a while.
 */
/** Open, or closed until open() is called: what passes it meanwhile waits. */
class Gate {
  private closed: Promise<void> | null = null;
  private release: (() => void) | null = null;

  close(): void {
    this.closed ??= new Promise((resolve) => {
      this.release = resolve;
    });
  }

  open(): void {
    this.release?.();
    this.closed = null;
    this.release = null;
  }

  passed(): Promise<void> {
    return this.closed ?? Promise.resolve();
  }
}

export class SharedDisk {
  private readonly writes = new Gate();
  private readonly exports = new Gate();
  /** State exports begun, on every node (each one reads the whole state). */
  exportsStarted = 0;

  stall(): void {
    this.writes.close();
  }

  resume(): void {
    this.writes.open();
  }

  /** Makes every state export started from now on take until resumeExports(): a slow export. */
  stallExports(): void {
    this.exports.close();
  }

  resumeExports(): void {
    this.exports.open();
  }

  /** The node's state store with every exportSnapshot() counted, and held by stallExports(). */
  wrapState(state: ReplicaStateStore): ReplicaStateStore {
    return new Proxy(state, {
      get: (target, property, receiver) => {
        if (property === 'exportSnapshot') {
          return async () => {
            this.exportsStarted += 1;
            const data = await target.exportSnapshot();
            await this.exports.passed();
            return data;
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  }

  /** The node's log store with every save() waiting out a stall first. */
  wrap(log: ReplicaLogStore): ReplicaLogStore {
    return new Proxy(log, {
      get: (target, property, receiver) => {
        if (property === 'save') {
          return async (...args: Parameters<ReplicaLogStore['save']>) => {
            await this.writes.passed();
            return target.save(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  }
}

export class TestCluster {
  readonly network = new MemoryTransportNetwork();
  readonly disk = new SharedDisk();
  /** Every node's warn-and-worse log lines, in order: tests check what an operator would read. */
  readonly warnings: LoggedWarning[] = [];
  readonly nodes = new Map<NodeId, TestNode>();
  private readonly founders: NodeId[];
  private readonly overrides: SettingsOverrides;
  private root = '';

  constructor(founders: readonly string[], overrides: SettingsOverrides = {}) {
    this.founders = founders.map((id) => nodeId(id));
    this.overrides = overrides;
  }

  static async start(
    founders: readonly string[],
    overrides: SettingsOverrides = {},
  ): Promise<TestCluster> {
    const cluster = new TestCluster(founders, overrides);
    cluster.root = await mkdtemp(join(tmpdir(), 'baton-replica-'));
    for (const id of cluster.founders) await cluster.startNode(id);
    return cluster;
  }

  dataDir(id: NodeId): string {
    return join(this.root, id);
  }

  static address(id: NodeId): string {
    return `memory://${id}`;
  }

  async startNode(
    id: NodeId,
    options: { join?: boolean; overrides?: SettingsOverrides } = {},
  ): Promise<TestNode> {
    const settings = configSchema.parse({
      nodeId: id,
      listen: '127.0.0.1:0',
      dataDir: this.dataDir(id),
      raft: { ...this.overrides.raft, ...options.overrides?.raft },
      replica: { ...this.overrides.replica, ...options.overrides?.replica },
    });
    const store = await openNodeStore({
      dataDir: this.dataDir(id),
      clusterId: 'test',
      nodeId: id,
      bootstrap:
        options.join === true
          ? { voters: [], learners: [] }
          : { voters: this.founders, learners: [] },
    });
    const transport = new MemoryTransport({ network: this.network, nodeId: id, clusterId: 'test' });
    const metrics = new NodeMetrics({ nodeId: id, clusterId: 'test' });
    const peers = new Map<NodeId, string>();
    for (const peer of this.founders) if (peer !== id) peers.set(peer, TestCluster.address(peer));
    const replica = await Replica.open({
      id,
      clusterId: 'test',
      address: TestCluster.address(id),
      peers,
      log: this.disk.wrap(store.log),
      state: this.disk.wrapState(store.state),
      transport,
      stateMachine: createNodeStateMachine(),
      raft: settings.raft,
      replica: settings.replica,
      logger: pino(
        { level: 'warn', base: { node: id } },
        {
          write: (line: string) => {
            this.warnings.push(JSON.parse(line) as LoggedWarning);
          },
        },
      ),
      metrics,
    });
    await replica.start();
    const node = { id, replica, store, transport, metrics };
    this.nodes.set(id, node);
    return node;
  }

  /** Stops a node (no leadership hand-off: from the others' view, it just vanished) and closes its disk. */
  async stopNode(id: NodeId, options: { transfer?: boolean } = {}): Promise<void> {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    await node.replica.stop(options);
    await node.store.close();
  }

  async wipe(id: NodeId): Promise<void> {
    await rm(this.dataDir(id), { recursive: true, force: true });
  }

  node(id: string): TestNode {
    const node = this.nodes.get(nodeId(id));
    if (node === undefined) throw new Error(`node ${id} is not running`);
    return node;
  }

  async leader(): Promise<TestNode> {
    let found: TestNode | null = null;
    await waitFor(() => {
      const leaders = [...this.nodes.values()].filter((n) => n.replica.isLeader());
      found = leaders.length === 1 ? leaders[0]! : null;
      // A leader that has committed its term's entry can take proposals and reads.
      return (
        found !== null &&
        found.replica.appliedIndex() >= found.replica.status().commit &&
        found.replica.status().commit > 0
      );
    }, 'a single leader');
    return found!;
  }

  async close(): Promise<void> {
    for (const id of [...this.nodes.keys()]) await this.stopNode(id);
    if (this.root !== '') await rm(this.root, { recursive: true, force: true });
  }
}
