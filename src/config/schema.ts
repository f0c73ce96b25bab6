/**
 * The one configuration object of a node. Every limit lives here, with its bounds, so a bad value
 * is refused when the node starts (with the setting's name) instead of misbehaving later.
 *
 * Defaults suit a local cluster on loopback: 5 ms ticks, 50 ms heartbeats, elections drawn from
 * 150–300 ms (electionTicks..2*electionTicks ticks).
 */
import { z } from 'zod';

const KIB = 1024;
const MIB = 1024 * KIB;

const hostPort = z
  .string()
  .regex(
    /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/,
    'expected host:port, e.g. 127.0.0.1:7001',
  )
  .refine((value) => {
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    return port >= 0 && port <= 65535;
  }, 'port must be 0..65535');

export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const nodeIdSchema = z
  .string()
  .regex(NODE_ID_PATTERN, 'a node id is 1-63 characters: letters, digits, "_", ".", "-"');

const int = (min: number, max: number): z.ZodInt => z.int().min(min).max(max);

export const raftSettingsSchema = z
  .object({
    /**
     * Real time per core tick. Small ticks make the election-timeout draw fine-grained; a leader
     * also sends followers the commit index on its tick when no append carried it (so on a quiet
     * log followers apply at most one tick behind the leader).
     */
    tickMs: int(1, 1000).default(5),
    heartbeatTicks: int(1, 10_000).default(10),
    electionTicks: int(2, 100_000).default(30),
    preVote: z.boolean().default(true),
    checkQuorum: z.boolean().default(true),
    maxMessageBytes: int(4 * KIB, 64 * MIB).default(1 * MIB),
    maxInflightMessages: int(1, 10_000).default(256),
    maxUncommittedBytes: int(64 * KIB, 1024 * MIB).default(64 * MIB),
    maxCommittedBytesPerReady: int(4 * KIB, 256 * MIB).default(8 * MIB),
  })
  .refine((value) => value.electionTicks > value.heartbeatTicks, {
    error: 'raft.electionTicks must be greater than raft.heartbeatTicks',
    path: ['electionTicks'],
  });

export const replicaSettingsSchema = z.object({
  /** Proposals waiting to be applied; past it callers get RESOURCE_EXHAUSTED. */
  maxPendingProposals: int(1, 1_000_000).default(10_000),
  /** Linearizable reads waiting for their read index; past it callers get RESOURCE_EXHAUSTED. */
  maxPendingReads: int(1, 1_000_000).default(10_000),
  /** A proposal or read not settled within this time fails with DEADLINE_EXCEEDED. */
  requestTimeoutMs: int(10, 600_000).default(10_000),
  /**
   * Compact the log after this many applied entries (or 32–64 MiB of them): the state store is made
   * durable there and becomes the snapshot; it is exported only for a follower that needs one.
   */
  snapshotEveryEntries: int(1, 100_000_000).default(10_000),
  /** Log entries kept behind a compaction point, for slightly lagging followers. */
  snapshotRetainEntries: int(0, 100_000_000).default(1_000),
  /** A learner is promoted to voter once its match index is within this many entries of the leader's last index. */
  promoteLagEntries: int(0, 1_000_000).default(100),
  /** How often the leader checks learners for promotion. */
  promoteIntervalMs: int(10, 60_000).default(100),
  /** How long a leadership transfer may take before it is reported as failed. */
  transferTimeoutMs: int(10, 60_000).default(2_000),
  /** On SIGTERM, the leader waits at most this long for a successor before closing. */
  shutdownTransferTimeoutMs: int(0, 60_000).default(3_000),
});

export const apiSettingsSchema = z.object({
  maxKeyBytes: int(1, 64 * KIB).default(1 * KIB),
  maxValueBytes: int(1, 16 * MIB).default(1 * MIB),
  /** A follower forwards a request to the leader at most this many hops (loops are impossible). */
  maxForwardHops: int(0, 4).default(1),
  forwardTimeoutMs: int(10, 600_000).default(10_000),
  /** Forwarding clients kept open to (past) leaders. */
  maxForwardClients: int(1, 64).default(8),
  /** Largest gRPC message accepted or sent on the node's port (peer snapshots stream in chunks). */
  maxGrpcMessageBytes: int(64 * KIB, 256 * MIB).default(8 * MIB),
});

export const storageSettingsSchema = z
  .object({
    /**
     * Free space the data volume must keep. Below it this node reports itself low, and the leader
     * refuses new client writes (RESOURCE_EXHAUSTED) while any voter is low, so the work already
     * admitted, LevelDB's compactions and the log's own compaction still have room; writes resume
     * by themselves once the volume is back above it (plus a margin of up to 64 MiB). 0 turns
     * the check off: the node then runs until a write fails for want of space and stops.
     */
    minFreeDiskBytes: int(0, Number.MAX_SAFE_INTEGER).default(256 * MIB),
    /**
     * The last reserve, below minFreeDiskBytes: while a voter reports less free space than this
     * (the leader's setting applies), the leader refuses every write — task results, activations,
     * timers, cancels too — except membership changes and retention pruning, so the work already
     * admitted cannot fill the volumes and stop the whole cluster at once. Writes resume once the
     * voter is back above it plus a margin (a quarter of it, at most 16 MiB). 0 turns it off;
     * by default a quarter of minFreeDiskBytes (64 MiB).
     */
    criticalFreeDiskBytes: int(0, Number.MAX_SAFE_INTEGER).optional(),
    /** How often the free space is measured. */
    diskCheckIntervalMs: int(100, 60_000).default(1_000),
  })
  .transform((value) => ({
    ...value,
    criticalFreeDiskBytes: value.criticalFreeDiskBytes ?? Math.floor(value.minFreeDiskBytes / 4),
  }))
  .refine(
    (value) =>
      value.minFreeDiskBytes === 0 ||
      value.criticalFreeDiskBytes === 0 ||
      value.criticalFreeDiskBytes < value.minFreeDiskBytes,
    {
      error:
        'storage.criticalFreeDiskBytes must be below storage.minFreeDiskBytes (or 0 to turn it off)',
      path: ['criticalFreeDiskBytes'],
    },
  );

const DAY_MS = 24 * 60 * 60 * 1000;

export const workflowSettingsSchema = z.object({
  /**
   * How long a closed workflow (its state, history and tasks) is kept before the leader prunes it;
   * reads of it answer NOT_FOUND afterwards. A minute to ten years; default 7 days.
   */
  closedRetentionMs: int(60_000, 3650 * DAY_MS).default(7 * DAY_MS),
});

export const clusterIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    'a cluster id is 1-63 characters: letters, digits, "_", ".", "-"',
  );

export const configSchema = z.object({
  nodeId: nodeIdSchema,
  clusterId: clusterIdSchema.default('local'),
  /** Where the node's gRPC port listens (peers, clients, admin share it). */
  listen: hostPort,
  /** The address other nodes and clients use to reach this node; defaults to `listen`. */
  advertise: hostPort.optional(),
  /** The other members' addresses: node id → host:port. */
  peers: z.record(nodeIdSchema, hostPort).default({}),
  dataDir: z.string().min(1, 'a data directory is required'),
  /** Where /metrics, /healthz and /readyz listen; empty to disable. */
  metricsListen: z.union([hostPort, z.literal('')]).default(''),
  /** Join an existing cluster (start with no membership and wait to be added) instead of bootstrapping one. */
  join: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  raft: raftSettingsSchema.default(() => raftSettingsSchema.parse({})),
  replica: replicaSettingsSchema.default(() => replicaSettingsSchema.parse({})),
  api: apiSettingsSchema.default(() => apiSettingsSchema.parse({})),
  storage: storageSettingsSchema.default(() => storageSettingsSchema.parse({})),
  workflows: workflowSettingsSchema.default(() => workflowSettingsSchema.parse({})),
});

export type BatonConfig = z.output<typeof configSchema>;
export type RaftSettings = z.output<typeof raftSettingsSchema>;
export type ReplicaSettings = z.output<typeof replicaSettingsSchema>;
export type ApiSettings = z.output<typeof apiSettingsSchema>;
export type StorageSettings = z.output<typeof storageSettingsSchema>;
export type WorkflowSettings = z.output<typeof workflowSettingsSchema>;
/** What a flag, the environment or a file may set: any part of the object, nested. */
export type ConfigInput = z.input<typeof configSchema>;
