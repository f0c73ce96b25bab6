/**
 * Every Prometheus metric a node exports, in one place. Each node owns its own registry (several
 * replicas run in one process in tests), so nothing here is a global.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** fsync-bound work: 50 µs .. ~1.6 s. */
const LATENCY_BUCKETS_SECONDS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
/** Calls to services: 5 ms .. 5 min (an HTTP task's timeout is at most that). */
const CALL_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** What the leader's dispatch has in flight, read at scrape time. */
export interface DispatchLoad {
  readonly active: boolean;
  readonly longPolls: number;
  readonly timersInFlight: number;
  readonly httpCallsInFlight: number;
}

export const ROLE_VALUES = { follower: 0, preCandidate: 1, candidate: 2, leader: 3 } as const;

export interface MetricsOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  /** Process metrics (CPU, memory, event-loop lag); off in in-process tests. */
  readonly processMetrics?: boolean;
}

export class NodeMetrics {
  readonly registry = new Registry();

  readonly term = new Gauge({
    name: 'baton_raft_term',
    help: 'Current Raft term.',
    registers: [this.registry],
  });
  readonly role = new Gauge({
    name: 'baton_raft_role',
    help: 'Raft role: 0 follower, 1 pre-candidate, 2 candidate, 3 leader.',
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'baton_raft_is_leader',
    help: '1 when this node is the leader.',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'baton_raft_leader_info',
    help: 'The leader this node knows (value 1, label leader); absent label value "" when none.',
    labelNames: ['leader'] as const,
    registers: [this.registry],
  });
  readonly commitIndex = new Gauge({
    name: 'baton_raft_commit_index',
    help: 'Highest log index known committed.',
    registers: [this.registry],
  });
  readonly appliedIndex = new Gauge({
    name: 'baton_raft_applied_index',
    help: 'Highest log index applied to the state machine.',
    registers: [this.registry],
  });
  readonly lastIndex = new Gauge({
    name: 'baton_raft_last_index',
    help: 'Last index in the local log.',
    registers: [this.registry],
  });
  readonly leaderChanges = new Counter({
    name: 'baton_raft_leader_changes_total',
    help: 'Times the known leader changed (including to none).',
    registers: [this.registry],
  });
  readonly ticksSkipped = new Counter({
    name: 'baton_raft_ticks_skipped_total',
    help: 'Raft ticks not counted because this node was waiting on a stalled log write (a slow disk).',
    registers: [this.registry],
  });
  readonly persistSeconds = new Histogram({
    name: 'baton_raft_append_seconds',
    help: 'Time to persist one Ready (entries + hard state, one fsynced batch).',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly persistBatchEntries = new Histogram({
    name: 'baton_raft_append_batch_entries',
    help: 'Log entries written per fsynced batch (group commit).',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly applySeconds = new Histogram({
    name: 'baton_raft_apply_seconds',
    help: 'Time to apply one run of committed entries and write it with the applied index.',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly applyBatchEntries = new Histogram({
    name: 'baton_raft_apply_batch_entries',
    help: 'Committed entries applied per state batch.',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly pendingProposals = new Gauge({
    name: 'baton_raft_pending_proposals',
    help: 'Proposals waiting to be applied.',
    registers: [this.registry],
  });
  readonly pendingReads = new Gauge({
    name: 'baton_raft_pending_reads',
    help: 'Linearizable reads waiting for their read index.',
    registers: [this.registry],
  });
  readonly peerLag = new Gauge({
    name: 'baton_raft_peer_lag_entries',
    help: "Leader only: how far a peer's match index is behind the leader's last index.",
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });
  readonly peerSilent = new Gauge({
    name: 'baton_raft_peer_silent_seconds',
    help: 'Leader only: seconds since the leader last heard from a peer (counted from the start of its term at most); a member down, paused or cut off grows here.',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });
  readonly proposals = new Counter({
    name: 'baton_raft_proposals_total',
    help: 'Proposals accepted into the log by this node.',
    registers: [this.registry],
  });
  readonly proposalsFailed = new Counter({
    name: 'baton_raft_proposals_failed_total',
    help: 'Proposals that failed, by reason (not_leader, dropped, pending_limit, uncommitted_limit, timeout, shutdown).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly snapshotsTaken = new Counter({
    name: 'baton_raft_snapshots_taken_total',
    help: 'Log compactions: the state store made durable at the applied index, the log dropped behind it.',
    registers: [this.registry],
  });
  readonly snapshotsExported = new Counter({
    name: 'baton_raft_snapshots_exported_total',
    help: 'Exports of the state for followers that needed a snapshot (too far behind, or new).',
    registers: [this.registry],
  });
  readonly snapshotsInstalled = new Counter({
    name: 'baton_raft_snapshots_installed_total',
    help: 'Snapshots received from a leader and installed.',
    registers: [this.registry],
  });
  readonly storageFreeBytes = new Gauge({
    name: 'baton_storage_free_bytes',
    help: "Bytes free on this node's data volume, as last measured (every storage.diskCheckIntervalMs).",
    registers: [this.registry],
  });
  readonly storageLow = new Gauge({
    name: 'baton_storage_low',
    help: "1 while this node's data volume is below storage.minFreeDiskBytes (the cluster refuses new client writes).",
    registers: [this.registry],
  });
  readonly storageLowVoters = new Gauge({
    name: 'baton_storage_low_voters',
    help: 'Voters this node knows to be low on disk, itself included; on the leader, nonzero means client writes are refused.',
    registers: [this.registry],
  });
  readonly storageCriticalVoters = new Gauge({
    name: 'baton_storage_critical_voters',
    help: 'Voters this node knows to be below storage.criticalFreeDiskBytes; on the leader, nonzero means every write but membership and pruning is refused.',
    registers: [this.registry],
  });
  readonly writesRefusedDiskCritical = new Counter({
    name: 'baton_writes_refused_disk_critical_total',
    help: 'Proposals (client and internal: task results, timers, activations) the leader refused because a voter is below storage.criticalFreeDiskBytes.',
    registers: [this.registry],
  });
  readonly writesRefusedDiskLow = new Counter({
    name: 'baton_api_writes_refused_disk_low_total',
    help: 'Client writes the leader refused because a voter is low on disk.',
    registers: [this.registry],
  });
  readonly forwarded = new Counter({
    name: 'baton_api_forwarded_total',
    help: 'Requests a follower forwarded to the leader, by method.',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly apiErrors = new Counter({
    name: 'baton_api_errors_total',
    help: 'Requests answered with an error, by gRPC status name.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly transportDropped = new Counter({
    name: 'baton_transport_messages_dropped_total',
    help: 'Outbound Raft messages dropped (Raft retransmits), by peer and reason.',
    labelNames: ['peer', 'reason'] as const,
    registers: [this.registry],
  });
  readonly transportUnreachable = new Counter({
    name: 'baton_transport_peer_unreachable_total',
    help: 'Times a peer stream failed.',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });
  readonly transportRejected = new Counter({
    name: 'baton_transport_inbound_rejected_total',
    help: 'Inbound peer streams refused (wrong cluster, bad sender, malformed), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  // Workflows, counted as this node applies the log: every node counts every workflow, so take
  // one node's series (or max by cluster), not the sum.
  readonly workflowsClosed = new Counter({
    name: 'baton_engine_workflows_closed_total',
    help: 'Workflows that reached a final status, by status (every node counts each one).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly tasksReady = new Counter({
    name: 'baton_engine_tasks_ready_total',
    help: 'Times a task became ready to run (first attempts and retries; every node counts each).',
    registers: [this.registry],
  });
  readonly tasksLeased = new Counter({
    name: 'baton_engine_tasks_leased_total',
    help: 'Task leases granted (every node counts each).',
    registers: [this.registry],
  });
  readonly tasksClosed = new Counter({
    name: 'baton_engine_tasks_closed_total',
    help: 'Tasks that finished for good: completed, failed past retries or cancelled (every node counts each).',
    registers: [this.registry],
  });

  // Dispatch: leader-only work, counted by the node that did it.
  private dispatchLoad: () => DispatchLoad = () => ({
    active: false,
    longPolls: 0,
    timersInFlight: 0,
    httpCallsInFlight: 0,
  });
  readonly dispatchActive = this.dispatchGauge(
    'baton_dispatch_active',
    '1 while this node leads and dispatches (timers, HTTP tasks, task long-polls).',
    (load) => (load.active ? 1 : 0),
  );
  readonly dispatchLongPolls = this.dispatchGauge(
    'baton_dispatch_long_polls',
    'ActivateTasks long-polls of workers waiting on this node.',
    (load) => load.longPolls,
  );
  readonly dispatchTimersInFlight = this.dispatchGauge(
    'baton_dispatch_timers_in_flight',
    'FireTimer commands this node proposed that have not settled.',
    (load) => load.timersInFlight,
  );
  readonly dispatchHttpCallsInFlight = this.dispatchGauge(
    'baton_dispatch_http_calls_in_flight',
    'Calls of HTTP tasks this node is making now.',
    (load) => load.httpCallsInFlight,
  );
  readonly dispatchTasksActivated = new Counter({
    name: 'baton_dispatch_tasks_activated_total',
    help: 'Task leases this node handed out (committed ActivateTasks), to workers and to its HTTP executor.',
    registers: [this.registry],
  });
  readonly dispatchTimersFired = new Counter({
    name: 'baton_dispatch_timers_fired_total',
    help: 'Timers this node fired (FireTimer applied).',
    registers: [this.registry],
  });
  readonly dispatchHttpCalls = new Counter({
    name: 'baton_dispatch_http_calls_total',
    help: 'Calls of HTTP tasks by outcome: the status class, timeout, unreachable, invalid_request, response_too_large.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly dispatchHttpCallSeconds = new Histogram({
    name: 'baton_dispatch_http_call_seconds',
    help: 'Duration of HTTP task calls, request to response body (or failure).',
    buckets: CALL_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  readonly dispatchWorkflowsPruned = new Counter({
    name: 'baton_dispatch_workflows_pruned_total',
    help: 'Closed workflows this node removed past their retention.',
    registers: [this.registry],
  });

  constructor(options: MetricsOptions) {
    this.registry.setDefaultLabels({ node: options.nodeId, cluster: options.clusterId });
    if (options.processMetrics === true)
      collectDefaultMetrics({ register: this.registry, prefix: 'baton_' });
  }

  /** Where the dispatch gauges read their values (the dispatcher, once the node has one). */
  watchDispatch(load: () => DispatchLoad): void {
    this.dispatchLoad = load;
  }

  private dispatchGauge(name: string, help: string, value: (load: DispatchLoad) => number): Gauge {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        gauge.set(value(this.dispatchLoad()));
      },
    });
    return gauge;
  }

  /** Replaces the leader label; keeps exactly one series. */
  setLeader(leader: string | null): void {
    this.leader.reset();
    this.leader.set({ leader: leader ?? '' }, leader === null ? 0 : 1);
  }
}
