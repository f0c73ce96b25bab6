/**
 * The composition root: the only place that builds concrete adapters (LevelDB storage, the gRPC
 * transport and server, the HTTP ops endpoint) and wires them into a node.
 */
import * as grpc from '@grpc/grpc-js';
import type { DestinationStream } from 'pino';
import { ApiServices, RemovalProbe, WorkflowApi } from './api/index.ts';
import { Dispatcher, EffectBus, ObservedEngine } from './dispatch/index.ts';
import type { DispatchMetrics, EffectListener } from './dispatch/index.ts';
import { WorkflowEngine } from './engine/index.ts';
import type { BatonConfig } from './config/index.ts';
import { formatBytes, nodeId } from './lib/index.ts';
import type { NodeId } from './lib/index.ts';
import { createLogger, NodeMetrics, startOpsServer } from './observability/index.ts';
import type { Logger, OpsServer } from './observability/index.ts';
import { createNodeStateMachine, NodeRemovedError, Replica } from './replica/index.ts';
import type { Removal } from './replica/index.ts';
import { DiskSpaceMonitor, openNodeStore, SMALLEST_SAFE_RESERVE_BYTES } from './storage/index.ts';
import { GrpcTransport } from './transport/index.ts';
import type { TransportMetrics } from './transport/index.ts';

/** How long a graceful shutdown lets in-flight RPCs finish before cutting them. */
const GRPC_DRAIN_TIMEOUT_MS = 2_000;

export interface StartNodeOptions {
  /** Where logs go (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Called when the node stops itself after a fatal error (main exits the process). */
  readonly onFatal?: (error: unknown) => void;
  /** Called once when the node learns it was removed from the cluster (main shuts it down). */
  readonly onRemoved?: (removal: Removal) => void;
}

export interface RunningNode {
  readonly config: BatonConfig;
  readonly replica: Replica;
  /** Leader-only dispatch (timers, worker long-polls); idle on followers. */
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  /** The address peers and clients use (the bound port when `listen` asked for port 0). */
  readonly address: string;
  readonly metricsPort: number | null;
  /** Graceful: a leader hands off leadership first, then everything closes. Idempotent. */
  shutdown(): Promise<void>;
}

export async function startNode(
  config: BatonConfig,
  options: StartNodeOptions = {},
): Promise<RunningNode> {
  const id = nodeId(config.nodeId);
  const logger = createLogger({
    nodeId: config.nodeId,
    clusterId: config.clusterId,
    level: config.logLevel,
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  const metrics = new NodeMetrics({
    nodeId: config.nodeId,
    clusterId: config.clusterId,
    processMetrics: true,
  });
  const peers = new Map<NodeId, string>(
    Object.entries(config.peers).map(([peer, address]) => [nodeId(peer), address]),
  );
  const store = await openNodeStore({
    dataDir: config.dataDir,
    clusterId: config.clusterId,
    nodeId: id,
    bootstrap: config.join
      ? { voters: [], learners: [] }
      : { voters: [id, ...peers.keys()], learners: [] },
    logger: logger.child({ component: 'storage' }),
  });
  if (store.openReport.removed !== null) {
    // Refused before anything starts, so the refusal is the node's last word in its log.
    await store.close();
    throw new NodeRemovedError(
      id,
      config.clusterId,
      config.dataDir,
      `recorded when it found out: ${store.openReport.removed}`,
    );
  }
  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.api.maxGrpcMessageBytes,
    'grpc.max_send_message_length': config.api.maxGrpcMessageBytes,
    // Baton serves no channelz service, and channelz's per-call bookkeeping (counters, clock
    // reads, trace events) cost ~8 % of grpc-js's CPU per unary call, measured on loopback.
    'grpc.enable_channelz': 0,
  });
  let replica: Replica | null = null;
  let api: ApiServices | null = null;
  let workflowApi: WorkflowApi | null = null;
  let dispatcher: Dispatcher | null = null;
  let ops: OpsServer | null = null;
  let removalProbe: RemovalProbe | null = null;
  let diskSpace: DiskSpaceMonitor | null = null;
  try {
    const port = await bind(server, config.listen);
    const address =
      config.advertise ?? `${config.listen.slice(0, config.listen.lastIndexOf(':'))}:${port}`;
    const transport = new GrpcTransport({
      clusterId: config.clusterId,
      nodeId: id,
      logger: logger.child({ component: 'transport' }),
      metrics: transportMetrics(metrics),
    });
    transport.registerServer(server);
    const effects = new EffectBus();
    effects.subscribe(engineEffectCounter(metrics));
    const stateMachine = createNodeStateMachine(new ObservedEngine(new WorkflowEngine(), effects));
    const openedReplica = await Replica.open({
      id,
      clusterId: config.clusterId,
      address,
      peers,
      log: store.log,
      state: store.state,
      transport,
      stateMachine,
      raft: config.raft,
      replica: config.replica,
      logger: logger.child({ component: 'replica' }),
      metrics,
      onFatal: (error) => {
        options.onFatal?.(error);
      },
      onRemoved: (removal) => {
        // Recorded before the server is told, so the shutdown that follows cannot close the
        // store first; a restart on this directory is then refused at once.
        const recorded = store
          .markRemoved(JSON.stringify({ ...removal, atMs: Date.now() }))
          .catch((error: unknown) => {
            logger.error({ err: error }, 'could not record the removal in the data directory');
          });
        void recorded.then(() => options.onRemoved?.(removal));
      },
    });
    replica = openedReplica;
    // A node restarted on the data of a removed member would campaign or serve a frozen state; a
    // joining node legitimately starts outside the membership it has seen so far.
    if (!config.join && !openedReplica.isMember() && openedReplica.members().length > 0)
      throw new NodeRemovedError(
        id,
        config.clusterId,
        config.dataDir,
        'the membership it has applied no longer includes it',
      );
    api = new ApiServices({
      replica: openedReplica,
      settings: config.api,
      logger: logger.child({ component: 'api' }),
      metrics,
    });
    api.register(server);
    dispatcher = new Dispatcher(openedReplica, effects, logger.child({ component: 'dispatch' }), {
      closedRetentionMs: config.workflows.closedRetentionMs,
      metrics: dispatchMetrics(metrics),
    });
    const dispatch = dispatcher;
    metrics.watchDispatch(() => ({ active: dispatch.isActive(), ...dispatch.load() }));
    workflowApi = new WorkflowApi({
      replica: openedReplica,
      dispatcher,
      settings: config.api,
      logger: logger.child({ component: 'workflow-api' }),
      metrics,
    });
    workflowApi.register(server);
    diskSpace = new DiskSpaceMonitor({
      path: config.dataDir,
      minFreeBytes: config.storage.minFreeDiskBytes,
      criticalFreeBytes: config.storage.criticalFreeDiskBytes,
      intervalMs: config.storage.diskCheckIntervalMs,
      logger: logger.child({ component: 'storage' }),
      onMeasured: (storage) => {
        openedReplica.setLocalStorage(storage);
      },
    });
    const reserve = config.storage.criticalFreeDiskBytes;
    if (
      config.storage.minFreeDiskBytes > 0 &&
      reserve > 0 &&
      reserve < SMALLEST_SAFE_RESERVE_BYTES
    ) {
      // Measured (npm run test:disk-full): with a 12 MiB reserve a node ran out of space after the
      // refusals began — LevelDB writes a compaction's output before it deletes the input.
      logger.warn(
        { criticalFreeDiskBytes: reserve },
        `storage.criticalFreeDiskBytes is ${formatBytes(reserve)}: LevelDB's compactions can need tens of MiB at once, so a last reserve under ${formatBytes(SMALLEST_SAFE_RESERVE_BYTES)} may not keep the node from filling its volume`,
      );
    }
    // Measured before the node serves, so one that starts on a full volume says so at once.
    await diskSpace.start();
    await openedReplica.start();
    const electionTimeoutMs = config.raft.electionTicks * config.raft.tickMs;
    removalProbe = new RemovalProbe({
      replica: openedReplica,
      silenceMs: 2 * electionTimeoutMs,
      intervalMs: electionTimeoutMs,
      callTimeoutMs: Math.max(electionTimeoutMs, 200),
      maxMessageBytes: config.api.maxGrpcMessageBytes,
      logger: logger.child({ component: 'removal-probe' }),
    });
    removalProbe.start();
    if (config.metricsListen !== '') {
      const split = config.metricsListen.lastIndexOf(':');
      ops = await startOpsServer({
        host: config.metricsListen.slice(0, split),
        port: Number(config.metricsListen.slice(split + 1)),
        registry: metrics.registry,
        readiness: () => openedReplica.readiness(),
      });
    }
    logger.info(
      {
        address,
        metricsPort: ops?.port ?? null,
        peers: config.peers,
        join: config.join,
        // The V8 flags in effect (SERVER_NODE_FLAGS explains why they matter under load).
        nodeFlags: [
          ...process.execArgv,
          ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/),
        ].filter((flag) => flag.startsWith('--')),
      },
      'node started',
    );
    let closing: Promise<void> | null = null;
    const opsServer = ops;
    const apiServices = api;
    const workflowServices = workflowApi;
    const runningDispatcher = dispatcher;
    const runningProbe = removalProbe;
    const runningDiskSpace = diskSpace;
    return {
      config,
      replica: openedReplica,
      dispatcher: runningDispatcher,
      logger,
      metrics,
      address,
      metricsPort: ops?.port ?? null,
      shutdown: () => {
        // Long-polls end first, so draining the gRPC server does not wait for them.
        runningDispatcher.close();
        runningProbe.close();
        runningDiskSpace.stop();
        closing ??= closeAll(
          logger,
          openedReplica,
          server,
          () => {
            workflowServices.close();
            apiServices.close();
          },
          opsServer,
          store.close.bind(store),
        );
        return closing;
      },
    };
  } catch (error) {
    removalProbe?.close();
    diskSpace?.stop();
    await replica?.stop().catch(() => undefined);
    dispatcher?.close();
    workflowApi?.close();
    api?.close();
    server.forceShutdown();
    await ops?.close();
    await store.close();
    throw error;
  }
}

async function closeAll(
  logger: Logger,
  replica: Replica,
  server: grpc.Server,
  closeServices: () => void,
  ops: OpsServer | null,
  closeStore: () => Promise<void>,
): Promise<void> {
  logger.info('shutting down');
  await replica.stop({ transfer: true });
  await drain(server);
  closeServices();
  await ops?.close();
  await closeStore();
  logger.info('shut down');
}

function bind(server: grpc.Server, listen: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error !== null)
        reject(new Error(`cannot listen on ${listen}: ${error.message}`, { cause: error }));
      else resolve(port);
    });
  });
}

function drain(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, GRPC_DRAIN_TIMEOUT_MS);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function dispatchMetrics(metrics: NodeMetrics): DispatchMetrics {
  return {
    tasksActivated: (count) => {
      metrics.dispatchTasksActivated.inc(count);
    },
    timerFired: () => {
      metrics.dispatchTimersFired.inc();
    },
    httpCall: (outcome, seconds) => {
      metrics.dispatchHttpCalls.inc({ outcome });
      metrics.dispatchHttpCallSeconds.observe(seconds);
    },
    workflowsPruned: (count) => {
      metrics.dispatchWorkflowsPruned.inc(count);
    },
  };
}

/** Counts the engine's effects as this node applies them (a listener on the effect bus). */
function engineEffectCounter(metrics: NodeMetrics): EffectListener {
  return (effects) => {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'taskReady':
          metrics.tasksReady.inc();
          break;
        case 'taskLeased':
          metrics.tasksLeased.inc();
          break;
        case 'taskClosed':
          metrics.tasksClosed.inc();
          break;
        case 'instanceClosed':
          metrics.workflowsClosed.inc({ status: effect.status });
          break;
        case 'timerSet':
        case 'timerCancelled':
          break;
      }
    }
  };
}

function transportMetrics(metrics: NodeMetrics): TransportMetrics {
  return {
    messagesDropped: (peer, count, reason) => {
      metrics.transportDropped.inc({ peer, reason }, count);
    },
    peerUnreachable: (peer) => {
      metrics.transportUnreachable.inc({ peer });
    },
    inboundRejected: (reason) => {
      metrics.transportRejected.inc({ reason });
    },
  };
}
