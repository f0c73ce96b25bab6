/**
 * The node's one event loop. Real-time ticks and inbound messages drive the pure Raft core; each
 * `Ready` it hands back is handled strictly in the order src/raft/types.ts documents:
 *
 *   1. send `messages` at once (the leader's appends travel while it writes its own disk);
 *   2. persist snapshot + entries + hard state in one fsynced batch (log.save);
 *   3. send `messagesAfterPersist` the moment that write is durable (votes and responses promise
 *      durable state; they do not wait for the apply of earlier entries running meanwhile);
 *   4. install a received snapshot, then apply committed entries — one state batch (state writes
 *      plus the applied index) per run of entries;
 *   5. settle proposal futures, serve ReadIndex reads whose index is applied; advance.
 *
 * Group commit falls out of the loop's shape: while one Ready is being written, new proposals go
 * straight into the core's unstable log, and the next Ready carries all of them in one fsync.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from '../observability/index.ts';
import type { NodeMetrics } from '../observability/index.ts';
import { ROLE_VALUES } from '../observability/index.ts';
import type { RaftSettings, ReplicaSettings } from '../config/index.ts';
import { assert, BatonError, formatBytes, logIndex, SeededRng } from '../lib/index.ts';
import type {
  KvReader,
  KvView,
  LogIndex,
  NodeId,
  Rng,
  StateMachine,
  StorageHealth,
  Term,
} from '../lib/index.ts';
import {
  applyConfChangeEntry,
  ConfChangePendingError,
  ConfChangeRejectedError,
  decodeConfChange,
  isMember,
  NotLeaderError,
  ProposalDroppedError,
  RaftNode,
  SnapshotTemporarilyUnavailableError,
  UncommittedLimitError,
} from '../raft/index.ts';
import type {
  ConfChange,
  ConfState,
  Entry,
  RaftStatus,
  Ready,
  Snapshot,
  SoftState,
} from '../raft/types.ts';
import type { Transport } from '../transport/types.ts';
import {
  MembershipError,
  PendingProposalLimitError,
  ReplicaStoppedError,
  RequestTimeoutError,
  TransferFailedError,
} from './errors.ts';
import {
  deleteMemberAddress,
  readAddressBook,
  readMemberAddress,
  setMemberAddress,
} from './kv-state-machine.ts';
import type { MemberInfo, ProposalResult, ReplicaLogStore, ReplicaStateStore } from './types.ts';
import { PeerContact } from './contact.ts';
import { ReadBarriers } from './read-barriers.ts';
import { DiskAdmission } from './disk-admission.ts';
import { compactionByteLimit, compactionDue, compactionPhase } from './compaction-schedule.ts';

/** How often timeouts, learner promotion and gauges are checked. */
const HOUSEKEEPING_INTERVAL_MS = 50;
/** Pause between attempts of a membership change the core deferred. */
const CONF_CHANGE_RETRY_MS = 20;
/** Entries read per chunk when replaying config entries at startup. */
const REPLAY_CHUNK_BYTES = 4 * 1024 * 1024;
/** State batches handed to LevelDB and not yet written, before the loop waits for them. */
const MAX_STATE_COMMITS_IN_FLIGHT = 32;
/**
 * Compaction is due every `snapshotEveryEntries` applied entries, or sooner once 32 MiB to this
 * many bytes of entries were applied since the last (each member its own share of the range:
 * compaction-schedule.ts), which bounds the log kept in memory.
 */
const SNAPSHOT_MAX_LOG_BYTES = 64 * 1024 * 1024;
/** An export made for a follower is dropped after this long unused (it is as big as the state). */
const PEER_SNAPSHOT_KEEP_MS = 60_000;
/** After the state was found too large to export, followers' snapshot requests wait this long. */
const PEER_EXPORT_RETRY_AFTER_REFUSAL_MS = 60_000;

export interface ReplicaOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  /** The address this node advertises to peers and clients. */
  readonly address: string;
  /** Addresses known from configuration (bootstrap peers); the replicated address book overrides them. */
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly log: ReplicaLogStore;
  readonly state: ReplicaStateStore;
  readonly transport: Transport;
  readonly stateMachine: StateMachine;
  readonly raft: RaftSettings;
  readonly replica: ReplicaSettings;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  /** Seeded in tests; from the OS otherwise. */
  readonly rng?: Rng;
  /** Called once when the loop hits an error it cannot continue from (a disk error, a throwing apply). */
  readonly onFatal?: (error: unknown) => void;
  /** Called once when this node learns it is no longer a member (the server then shuts down). */
  readonly onRemoved?: (removal: Removal) => void;
}

/** How a node learned that a membership change removed it. */
export interface Removal {
  /** Who said so: this node applied the change itself, or a peer's status showed it. */
  readonly learnedFrom: 'own-log' | { readonly peer: NodeId; readonly peerAppliedIndex: number };
  /** The change's log index, when this node applied it. */
  readonly index: LogIndex | null;
}

/** One committed membership change, applied: its entry and the membership before and after. */
interface ConfStep {
  readonly data: Uint8Array;
  readonly index: LogIndex;
  readonly before: ConfState;
  readonly after: ConfState;
}

interface PendingProposal {
  readonly term: Term;
  readonly deadlineMs: number;
  readonly resolve: (result: ProposalResult) => void;
  readonly reject: (error: unknown) => void;
}

interface TransferWaiter {
  readonly target: NodeId;
  readonly resolve: (leader: NodeId) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

export class Replica {
  readonly id: NodeId;
  readonly clusterId: string;
  private readonly options: ReplicaOptions;
  private readonly raftNode: RaftNode;
  private readonly metrics: NodeMetrics;
  private readonly baseLogger: Logger;
  private logger: Logger;

  private conf: ConfState;
  private applied: LogIndex;
  private lastSnapshotIndex: LogIndex;
  /** Bytes of entries applied since the last compaction began. */
  private logBytesSinceSnapshot = 0;
  /** This node's offset within the compaction interval (compaction-schedule.ts), for `conf`. */
  private compactionPhase = 0;
  private compactionPhaseConf: ConfState | null = null;
  private softState: SoftState = { leader: null, role: 'follower' };
  private currentTerm = -1;
  private persistedTerm: Term;
  private persistedVote: NodeId | null;
  /** The last index of the log as durably written (entries handed to the core's storage). */
  private durableIndex: LogIndex;
  private readonly addresses = new Map<NodeId, string>();

  /** Keyed by log index; insertion order is creation order, so the oldest deadline is first. */
  private readonly pending = new Map<number, PendingProposal>();
  private readonly contact: PeerContact;
  private readonly disks: DiskAdmission;
  private readonly reads: ReadBarriers;
  private transferWaiters: TransferWaiter[] = [];
  private promotionInFlightUntil: LogIndex = logIndex(0);
  private lastPromotionCheckMs = Number.NEGATIVE_INFINITY;
  /** When this node last became leader (performance.now() time): a member silent since counts from it. */
  private leadingSinceMs = 0;
  /** Caught-up learners left learners for their low disk, each said once until that changes. */
  private readonly promotionHeldForDisk = new Set<NodeId>();
  /** Set when this node lost leadership (not by its own transfer); see failProposalsOnStepDown. */
  private steppedDown = false;

  private stateCommitsInFlight = 0;
  /** The background compaction (maybeSnapshot), if one is running. */
  private snapshotInFlight: Promise<void> | null = null;
  /** The last export of the state made for followers (see snapshotForPeer), and when it was last handed out. */
  private peerSnapshot: Snapshot | null = null;
  private peerSnapshotUsedMs = 0;
  /**
   * The highest index a follower's snapshot must reach that the cache cannot give, or null: an
   * export starts at the next consistent point (as does one for a backup: exportWaiters).
   */
  private peerSnapshotWantedAt: LogIndex | null = null;
  private peerSnapshotExport: Promise<void> | null = null;
  /** After an export refused as too large, followers' requests wait until then (performance.now()). */
  private peerExportRefusedUntilMs = 0;
  /** Callers of exportState waiting for the next export (it serves them and followers alike). */
  private exportWaiters: Array<{
    resolve: (snapshot: Snapshot) => void;
    reject: (error: unknown) => void;
  }> = [];
  private stateCommitTail: Promise<void> = Promise.resolve();
  private running = false;
  private kickScheduled = false;
  private loopDone: Promise<void> = Promise.resolve();
  private stopped = false;
  private failed = false;
  private started = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private housekeepingTimer: NodeJS.Timeout | null = null;
  /** Persist statistics, for tests and benchmarks: how many fsynced batches and entries. */
  readonly persistStats = { batches: 0, entries: 0 };
  private logBatchesAtLastTick = -1;
  /** When the log write in flight started (performance.now()), or null. */
  private persistStartedMs: number | null = null;
  private diskStallReported = false;
  /** When this node last heard from its leader, or a leader became known (performance.now()). */
  private leaderContactMs = performance.now();
  private removal: Removal | null = null;

  private constructor(options: ReplicaOptions, conf: ConfState) {
    this.options = options;
    this.id = options.id;
    this.clusterId = options.clusterId;
    this.metrics = options.metrics;
    this.baseLogger = options.logger;
    this.logger = options.logger;
    this.conf = conf;
    // Tick gaps over two election timeouts: the window an election or a step-down looks back on.
    this.contact = new PeerContact(options.raft.electionTicks * 2);
    // Ten election timeouts without a word: the peer is down or cut off, not just slow.
    const lowReportLapseMs = 10 * options.raft.electionTicks * options.raft.tickMs;
    this.disks = new DiskAdmission({
      self: options.id,
      isHeard: (peer) => this.contact.heardWithin(peer, performance.now(), lowReportLapseMs),
      logger: () => this.logger,
      metrics: options.metrics,
    });
    this.reads = new ReadBarriers({
      idPrefix: options.id,
      startRound: (id) => {
        this.raftNode.readIndex(id);
        this.kick();
      },
      maxPending: options.replica.maxPendingReads,
      timeoutMs: options.replica.requestTimeoutMs,
      onPendingChange: (pending) => {
        this.metrics.pendingReads.set(pending);
      },
    });
    this.applied = options.state.appliedIndex();
    // The compaction point itself, not the first retained entry: the schedule counts from it.
    this.lastSnapshotIndex = logIndex(
      Math.max(options.log.firstIndex() - 1, options.log.storedSnapshot().meta.index),
    );
    const initial = options.log.initialState().hardState;
    this.persistedTerm = initial.term;
    this.persistedVote = initial.vote;
    this.durableIndex = options.log.lastIndex();
    const settings = options.raft;
    this.raftNode = new RaftNode({
      id: options.id,
      storage: options.log,
      rng: options.rng ?? new SeededRng(randomInt(0, 2 ** 31)),
      heartbeatTicks: settings.heartbeatTicks,
      electionTicks: settings.electionTicks,
      applied: this.applied,
      preVote: settings.preVote,
      checkQuorum: settings.checkQuorum,
      maxMessageBytes: settings.maxMessageBytes,
      maxInflightMessages: settings.maxInflightMessages,
      maxUncommittedBytes: settings.maxUncommittedBytes,
      maxCommittedBytesPerReady: settings.maxCommittedBytesPerReady,
    });
    for (const [peer, address] of options.peers) this.addresses.set(peer, address);
    this.addresses.set(options.id, options.address);
  }

  /**
   * Recovers the state store to the log's snapshot if a crash left it behind (the snapshot was
   * saved to the log but not yet imported), works out membership as of the applied index, and
   * builds the core. Call start() next.
   */
  static async open(options: ReplicaOptions): Promise<Replica> {
    const { log, state } = options;
    const snapshotIndex = log.firstIndex() - 1;
    if (state.appliedIndex() < snapshotIndex) {
      const snapshot = log.storedSnapshot();
      // openNodeStore refuses this case with the data directory named; a compaction is only
      // recorded once the state is durable at its index.
      assert(
        !log.snapshotIsInState(),
        () =>
          `state at ${state.appliedIndex()} is behind the log compacted at ${snapshot.meta.index}`,
      );
      options.logger.warn(
        { applied: state.appliedIndex(), snapshot: snapshot.meta.index },
        'state is behind the log snapshot (crash during install); importing the snapshot',
      );
      await state.importSnapshot(snapshot.data, snapshot.meta.index);
      await log.releaseSnapshotData(snapshot.meta.index);
    }
    const conf = confAsOfApplied(log, state.appliedIndex());
    return new Replica(options, conf);
  }

  async start(): Promise<void> {
    assert(!this.started, 'Replica.start called twice');
    this.started = true;
    const book = await readAddressBook(this.options.state.reader());
    for (const [id, address] of book) this.addresses.set(id as NodeId, address);
    this.addresses.set(this.id, this.options.address);
    for (const [peer, address] of this.addresses) {
      if (peer !== this.id) this.options.transport.addPeer(peer, address);
    }
    await this.options.transport.start({
      onMessage: (message) => {
        if (this.stopped) return;
        const nowMs = performance.now();
        this.contact.heard(message.from, nowMs);
        if (message.from === this.softState.leader) this.leaderContactMs = nowMs;
        try {
          this.raftNode.step(message);
        } catch (error) {
          // A typed error is an operating condition (a message the core refuses); anything else
          // is a broken invariant, and the node stops rather than limp on.
          if (!(error instanceof BatonError)) {
            this.fatal(error);
            return;
          }
          this.logger.debug(
            { err: error, from: message.from, type: message.type },
            'message rejected by the core',
          );
        }
        this.kick();
      },
      onUnreachable: (peer) => {
        if (this.stopped) return;
        this.raftNode.reportUnreachable(peer);
        this.kick();
      },
      onSnapshotStatus: (peer, status) => {
        if (this.stopped) return;
        this.raftNode.reportSnapshot(peer, status);
        this.kick();
      },
      onPeerStorage: (peer, storage) => {
        this.disks.onPeerReport(peer, storage, this.conf.voters);
      },
    });
    this.options.log.setSnapshotSource((minIndex) => this.snapshotForPeer(minIndex));
    this.tickTimer = setInterval(() => {
      const nowMs = performance.now();
      this.contact.tick(nowMs);
      this.disks.refresh(this.conf.voters);
      if (this.logWriteStalled(nowMs)) return;
      this.raftNode.tick();
      this.writeStateIfLogQuiet();
      this.kick();
    }, this.options.raft.tickMs);
    this.housekeepingTimer = setInterval(() => {
      this.housekeeping();
    }, HOUSEKEEPING_INTERVAL_MS);
    this.updateGauges();
    this.logger.info(
      { voters: this.conf.voters, learners: this.conf.learners, applied: this.applied },
      'replica started',
    );
    this.kick();
  }

  // ---------------------------------------------------------------- public operations

  /**
   * Proposes a command; resolves with the state machine's result once it is applied here.
   * While a voter is below the critical free-space line the leader refuses it
   * (DiskSpaceCriticalError), unless it is `essential`: work that must go on to make room or to
   * change membership (retention pruning, the address book).
   */
  propose(command: Uint8Array, options: { essential?: boolean } = {}): Promise<ProposalResult> {
    if (options.essential !== true && this.softState.role === 'leader') {
      const refusal = this.disks.refuseProposal(this.conf.voters);
      if (refusal !== null) return Promise.reject(refusal);
    }
    return this.track(() => this.raftNode.propose(command));
  }

  /**
   * Refuses (DiskSpaceLowError) a new client write while any voter is low on disk. Call it on the
   * leader before proposing work a client brings in (a key, a workflow, a signal); the work already
   * in the cluster — task results, timers, retention, membership — is never refused by it.
   */
  admitClientWrite(): void {
    this.disks.admitClientWrite(this.conf.voters);
  }

  /** This node's storage as its disk-space monitor measured it; peers hear of it with each batch. */
  setLocalStorage(storage: StorageHealth): void {
    this.options.transport.setLocalStorage(storage);
    this.disks.setLocal(storage, this.conf.voters);
  }

  /** Resolves with an index at which the local state may serve a linearizable read. Leader only. */
  readBarrier(): Promise<LogIndex> {
    if (this.stopped) return Promise.reject(new ReplicaStoppedError());
    if (this.softState.role !== 'leader')
      return Promise.reject(new NotLeaderError(this.softState.leader));
    return this.reads.request(performance.now());
  }

  /** Reads the locally applied state (possibly stale on a follower). */
  reader(): KvReader {
    return this.options.state.reader();
  }

  /** Adds a node as a learner; the leader promotes it once it has caught up. Leader only. */
  async addNode(id: NodeId, address: string): Promise<LogIndex> {
    this.requireLeader();
    if (isMember(this.conf, id)) {
      if (this.addresses.get(id) === address) return this.applied;
      throw new MembershipError(
        'ALREADY_EXISTS',
        `node ${id} is already a member (at ${this.addresses.get(id) ?? 'an unknown address'}); remove it first to change its address`,
      );
    }
    await this.propose(setMemberAddress(id, address), { essential: true });
    this.addresses.set(id, address);
    // A joining node knows no membership, so it takes nothing but a snapshot (the core's
    // awaitingBase): whichever member leads then exports the state for it, compacted or not.
    const result = await this.proposeConfChange({ type: 'addLearner', node: id });
    return result.index;
  }

  /** Removes a member. The leader cannot remove itself (the Admin API transfers leadership first). */
  async removeNode(id: NodeId): Promise<LogIndex> {
    this.requireLeader();
    if (!isMember(this.conf, id))
      throw new MembershipError('NOT_FOUND', `node ${id} is not a member of this cluster`);
    if (id === this.id) {
      throw new MembershipError(
        'FAILED_PRECONDITION',
        `node ${id} is the leader; transfer leadership to another node first, then remove it`,
      );
    }
    if (this.conf.voters.length === 1 && this.conf.voters[0] === id) {
      throw new MembershipError('FAILED_PRECONDITION', `node ${id} is the last voter`);
    }
    const result = await this.proposeConfChange({ type: 'remove', node: id });
    await this.propose(deleteMemberAddress(id), { essential: true }).catch((error: unknown) => {
      this.logger.warn(
        { err: error, member: id },
        'removed node, but could not drop its address from the address book',
      );
    });
    return result.index;
  }

  /** Hands leadership to `to`, or to the most caught-up other voter. Resolves with the new leader. */
  transferLeadership(to?: NodeId): Promise<NodeId> {
    this.requireLeader();
    const target = to ?? this.mostCaughtUpVoter();
    if (target === null) {
      return Promise.reject(
        new MembershipError(
          'FAILED_PRECONDITION',
          'there is no other voter to transfer leadership to',
        ),
      );
    }
    if (!this.conf.voters.includes(target)) {
      return Promise.reject(
        new MembershipError('INVALID_ARGUMENT', `node ${target} is not a voter of this cluster`),
      );
    }
    if (target === this.id) return Promise.resolve(this.id);
    return this.awaitTransfer(target, this.options.replica.transferTimeoutMs);
  }

  status(): RaftStatus {
    return this.raftNode.status();
  }

  leaderHint(): NodeId | null {
    return this.softState.leader;
  }

  isLeader(): boolean {
    return this.softState.role === 'leader';
  }

  addressOf(id: NodeId): string | undefined {
    return this.addresses.get(id);
  }

  appliedIndex(): LogIndex {
    return this.applied;
  }

  members(): MemberInfo[] {
    const progress = this.raftNode.status().progress;
    const nowMs = performance.now();
    const settings = this.options.raft;
    const electionTimeoutMs = settings.electionTicks * settings.tickMs;
    const silentMs = (id: NodeId): number => {
      if (this.softState.role !== 'leader' || id === this.id) return 0;
      const since = this.silenceMs(id, nowMs);
      return since > electionTimeoutMs ? Math.round(since) : 0;
    };
    const describe = (id: NodeId, voter: boolean): MemberInfo => {
      const storage = this.disks.of(id);
      return {
        id,
        address: this.addresses.get(id) ?? '',
        voter,
        matchIndex: progress?.get(id)?.match ?? 0,
        diskLow: storage.diskLow,
        diskFreeBytes: storage.diskLow ? storage.diskFreeBytes : 0,
        diskCritical: storage.diskCritical,
        silentMs: silentMs(id),
      };
    };
    return [
      ...this.conf.voters.map((id) => describe(id, true)),
      ...this.conf.learners.map((id) => describe(id, false)),
    ];
  }

  /** Whether this node is a voter or learner in the membership it has applied. */
  isMember(): boolean {
    return this.conf.voters.includes(this.id) || this.conf.learners.includes(this.id);
  }

  /** Milliseconds since this node last heard from a leader (0 while it leads). */
  leaderSilenceMs(): number {
    if (this.softState.role === 'leader') return 0;
    return performance.now() - this.leaderContactMs;
  }

  /** Set once this node learned it was removed from the cluster. */
  removedFromCluster(): Removal | null {
    return this.removal;
  }

  /**
   * Records that a membership change removed this node. A removed node hears from no leader
   * again (the leader stops replicating to it once it appends the change, so the node rarely even
   * receives it; RemovalProbe finds out from its peers), so left alone it would campaign forever
   * as a voter, or, as a learner, keep serving a state that no longer moves. From here it reports
   * not ready; the server shuts it down.
   */
  markRemoved(removal: Removal): void {
    if (this.removal !== null || this.stopped) return;
    this.removal = removal;
    this.logger.error(
      { removal, applied: this.applied },
      `this node (${this.id}) was removed from cluster ${this.clusterId}; it stops. To bring it back, wipe its data directory, start it with --join and add it again (baton cluster add-node)`,
    );
    this.options.onRemoved?.(removal);
  }

  /** Ready for traffic: a leader is known and everything known committed is applied. */
  readiness(): { ready: boolean; reason: string } {
    if (this.stopped) return { ready: false, reason: 'stopped' };
    if (this.removal !== null) return { ready: false, reason: 'removed from the cluster' };
    if (this.softState.leader === null) return { ready: false, reason: 'no leader known' };
    const status = this.raftNode.status();
    if (this.applied < status.commit)
      return { ready: false, reason: `applied ${this.applied} < commit ${status.commit}` };
    return { ready: true, reason: `leader ${this.softState.leader}, applied ${this.applied}` };
  }

  /**
   * Stops the node. With `transfer`, a leader first hands leadership to the most caught-up voter
   * and waits (bounded by replica.shutdownTransferTimeoutMs), so clients see no failed write.
   */
  async stop(options: { transfer?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    if (options.transfer === true && this.started && this.isLeader())
      await this.handOffLeadership();
    this.stopped = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.housekeepingTimer !== null) clearInterval(this.housekeepingTimer);
    await this.loopDone;
    await this.snapshotInFlight;
    await this.peerSnapshotExport;
    this.options.state.writePending();
    await this.stateCommitTail;
    this.options.log.setSnapshotSource(null);
    this.peerSnapshot = null;
    this.failEverything(new ReplicaStoppedError());
    await this.options.transport.close();
    this.logger.info('replica stopped');
  }

  // ---------------------------------------------------------------- proposals

  /**
   * Proposes a membership change, retrying (bounded by replica.requestTimeoutMs) while the core
   * refuses it for a passing reason — a new leader's first entry or an earlier change (such as a
   * learner's promotion) not yet committed — so concurrent admin calls queue instead of failing.
   */
  private async proposeConfChange(change: ConfChange): Promise<ProposalResult> {
    const deadlineMs = performance.now() + this.options.replica.requestTimeoutMs;
    for (;;) {
      try {
        return await this.track(() => this.raftNode.proposeConfChange(change));
      } catch (error) {
        const passing = error instanceof ConfChangePendingError;
        if (!passing || performance.now() > deadlineMs || this.stopped) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, CONF_CHANGE_RETRY_MS));
      this.requireLeader();
    }
  }

  private track(submit: () => { index: LogIndex; term: Term }): Promise<ProposalResult> {
    if (this.stopped) return Promise.reject(new ReplicaStoppedError());
    const limit = this.options.replica.maxPendingProposals;
    if (this.pending.size >= limit) {
      this.metrics.proposalsFailed.inc({ reason: 'pending_limit' });
      return Promise.reject(new PendingProposalLimitError(limit));
    }
    let position: { index: LogIndex; term: Term };
    try {
      position = submit();
    } catch (error) {
      this.metrics.proposalsFailed.inc({ reason: failureReason(error) });
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.metrics.proposals.inc();
    const earlier = this.pending.get(position.index);
    if (earlier !== undefined) {
      // A proposal of an older term at the same index can no longer commit.
      this.pending.delete(position.index);
      earlier.reject(new ProposalDroppedError('its log entry was overwritten by a newer leader'));
    }
    const promise = new Promise<ProposalResult>((resolve, reject) => {
      this.pending.set(position.index, {
        term: position.term,
        deadlineMs: performance.now() + this.options.replica.requestTimeoutMs,
        resolve,
        reject,
      });
    });
    this.metrics.pendingProposals.set(this.pending.size);
    this.kick();
    return promise;
  }

  private requireLeader(): void {
    if (this.stopped) throw new ReplicaStoppedError();
    if (this.softState.role !== 'leader') throw new NotLeaderError(this.softState.leader);
  }

  // ---------------------------------------------------------------- the loop

  /**
   * Runs the loop soon unless it is already running. Deferred to setImmediate so that everything
   * arriving in this turn of the event loop (a batch of peer messages, the client calls parsed
   * from one socket read) is stepped into the core first and leaves in one Ready and one fsync,
   * instead of the first arrival taking a Ready of its own and the rest waiting a whole write.
   */
  private kick(): void {
    if (this.kickScheduled || this.running || this.stopped) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.runLoop();
    });
  }

  private runLoop(): void {
    if (this.running || this.stopped) return;
    if (!this.raftNode.hasReady()) return;
    this.running = true;
    this.loopDone = this.loop().catch((error: unknown) => {
      this.fatal(error);
    });
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped && this.raftNode.hasReady()) {
        const ready = this.raftNode.ready();
        await this.handleReady(ready);
        this.raftNode.advance(ready);
        this.maybeExportForPeers();
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * While this node's own log write hangs (a disk stall: an fsync that takes seconds), its Raft
   * clock stops: ticks are dropped, not saved up. The loop cannot send or persist anything
   * meanwhile, so counting that time would only start elections (a follower) or step down (a
   * leader) over a silence this node causes itself — and on a shared disk every node stalls at
   * once and all of them would. etcd behaves the same way because its ticks wait behind its Raft
   * loop. Peers with healthy disks still see this node go quiet and elect a new leader.
   */
  private logWriteStalled(nowMs: number): boolean {
    if (this.persistStartedMs === null) return false;
    const inFlightMs = nowMs - this.persistStartedMs;
    const settings = this.options.raft;
    if (inFlightMs <= settings.heartbeatTicks * settings.tickMs) return false;
    this.metrics.ticksSkipped.inc();
    // Writes of a few heartbeats happen under load; say so only once it would have cost an election.
    if (!this.diskStallReported && inFlightMs > settings.electionTicks * settings.tickMs) {
      this.diskStallReported = true;
      this.logger.warn(
        { inFlightMs: Math.round(inFlightMs) },
        'the log write is stalled (slow disk); Raft time stands still until it completes',
      );
    }
    return true;
  }

  private endDiskStall(startedMs: number): void {
    if (!this.diskStallReported) return;
    this.diskStallReported = false;
    this.logger.warn(
      { tookMs: Math.round(performance.now() - startedMs) },
      'the stalled log write completed; Raft time runs again',
    );
  }

  /**
   * State batches ride in the next log write. Under a steady stream of writes one always comes
   * within a tick; when a whole tick passed without one, the log has gone quiet and the waiting
   * batches are written on their own.
   */
  private writeStateIfLogQuiet(): void {
    const batches = this.persistStats.batches;
    if (batches === this.logBatchesAtLastTick && !this.running) this.options.state.writePending();
    this.logBatchesAtLastTick = batches;
  }

  private async handleReady(ready: Ready): Promise<void> {
    const transport = this.options.transport;
    if (ready.softState !== null) this.onSoftState(ready.softState, ready.hardState?.term);
    if (ready.messages.length > 0) transport.send(ready.messages);
    // Committed entries already durable in the local log are applied while this Ready's own
    // write is in flight (their callers need not wait one more fsync); the rest wait for it.
    // State batches reach LevelDB after the log writes that made their entries durable, so a
    // crash never leaves the state ahead of the log.
    let committed = ready.committedEntries;
    // Responses leave as soon as the write is durable, not after the early apply below: they
    // promise log state only, and a follower's acknowledgement is the leader's commit latency.
    const persisting = this.persist(ready).then(() => {
      if (ready.hardState !== null && ready.hardState.term !== this.currentTerm)
        this.onTerm(ready.hardState.term);
      if (ready.messagesAfterPersist.length > 0) transport.send(ready.messagesAfterPersist);
    });
    if (
      ready.snapshot === null &&
      committed.length > 0 &&
      committed[0]!.index <= this.durableIndex
    ) {
      const split = committed.findIndex((entry) => entry.index > this.durableIndex);
      const early = split === -1 ? committed : committed.slice(0, split);
      committed = split === -1 ? [] : committed.slice(split);
      try {
        await this.applyEntries(early);
      } finally {
        await persisting;
      }
    } else {
      await persisting;
    }
    if (ready.snapshot !== null) await this.installSnapshot(ready.snapshot);
    if (committed.length > 0) await this.applyEntries(committed);
    if (ready.readStates.length > 0) this.reads.onReadStates(ready.readStates);
    this.reads.serve(this.applied);
    if (this.steppedDown) {
      this.steppedDown = false;
      if (this.softState.role !== 'leader') this.failProposalsOnStepDown(this.softState.leader);
    }
  }

  private async persist(ready: Ready): Promise<void> {
    if (ready.snapshot === null && ready.entries.length === 0) {
      const hardState = ready.hardState;
      // Only the commit index moved: persisting it is an optimisation (the core restarts from
      // max(stored commit, applied)), so it rides along with the next entries instead of costing
      // an fsync of its own.
      if (
        hardState === null ||
        (hardState.term === this.persistedTerm && hardState.vote === this.persistedVote)
      )
        return;
    }
    const startedMs = performance.now();
    this.persistStartedMs = startedMs;
    try {
      await this.options.log.save({
        snapshot: ready.snapshot,
        entries: ready.entries,
        hardState: ready.hardState,
      });
    } finally {
      this.persistStartedMs = null;
      this.endDiskStall(startedMs);
    }
    this.metrics.persistSeconds.observe((performance.now() - startedMs) / 1000);
    this.metrics.persistBatchEntries.observe(ready.entries.length);
    if (ready.hardState !== null) {
      this.persistedTerm = ready.hardState.term;
      this.persistedVote = ready.hardState.vote;
    }
    this.persistStats.batches += 1;
    this.persistStats.entries += ready.entries.length;
    if (ready.snapshot !== null) this.durableIndex = ready.snapshot.meta.index;
    const last = ready.entries.at(-1);
    if (last !== undefined) {
      this.durableIndex = last.index;
      this.metrics.lastIndex.set(last.index);
    }
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const startedMs = performance.now();
    const state = this.options.state;
    const batch = state.beginBatch();
    const results: unknown[] = [];
    const changes: Array<Uint8Array | null> = [];
    for (const entry of entries) {
      assert(
        entry.index === this.applied + results.length + 1,
        () =>
          `apply out of order: entry ${entry.index} after applied ${this.applied + results.length}`,
      );
      let result: unknown = undefined;
      let change: Uint8Array | null = null;
      if (entry.kind === 'normal' && entry.data.length > 0) {
        result = await this.options.stateMachine.apply(
          entry.data,
          { index: entry.index, term: entry.term },
          batch,
        );
      } else if (entry.kind === 'config') {
        change = entry.data;
      }
      results.push(result);
      changes.push(change);
      this.logBytesSinceSnapshot += entry.data.length;
    }
    const last = entries.at(-1)!;
    await this.commitState(batch, last.index);
    this.applied = last.index;
    // The membership moves with the applied index in one synchronous step: a status read during
    // the awaits below must never pair this applied index with an older membership (a removed
    // node trusts exactly that pair from its peers, see RemovalProbe).
    // Nearly every batch has none: it then costs no allocation.
    const confSteps = changes.some((change) => change !== null)
      ? changes.map((change, i): ConfStep | null => {
          if (change === null) return null;
          const before = this.conf;
          this.conf = applyConfChangeEntry(before, change);
          return { data: change, index: entries[i]!.index, before, after: this.conf };
        })
      : null;
    if (confSteps !== null) this.disks.refresh(this.conf.voters);
    for (let i = 0; i < entries.length; i++) {
      const step = confSteps?.[i];
      if (step !== null && step !== undefined) await this.onConfChangeApplied(step);
      this.settleProposal(entries[i]!, results[i]);
    }
    this.metrics.applySeconds.observe((performance.now() - startedMs) / 1000);
    this.metrics.applyBatchEntries.observe(entries.length);
    this.metrics.appliedIndex.set(this.applied);
    this.metrics.pendingProposals.set(this.pending.size);
    this.maybeSnapshot();
  }

  /**
   * Hands the batch to the state store without waiting for LevelDB: the entries are already
   * durable in the log (a crash replays them from the applied index on disk), and the store's
   * readers see batches still in flight. Not syncing is safe for the same reason. At most
   * MAX_STATE_COMMITS_IN_FLIGHT batches wait; past that the loop waits for the oldest.
   */
  private async commitState(batch: KvView, index: LogIndex): Promise<void> {
    // It rides in the next log write (one LevelDB write per Ready instead of two); the tick writes
    // it alone once the log has been quiet for a whole tick (writeStateIfLogQuiet).
    const written = this.options.state.commit(batch, index, { sync: false, rideOnCarrier: true });
    this.stateCommitsInFlight += 1;
    const settled = written.then(
      () => {
        this.stateCommitsInFlight -= 1;
      },
      (error: unknown) => {
        this.stateCommitsInFlight -= 1;
        this.fatal(error);
      },
    );
    this.stateCommitTail = settled;
    if (this.stateCommitsInFlight >= MAX_STATE_COMMITS_IN_FLIGHT) {
      this.options.state.writePending();
      await settled;
    }
  }

  private settleProposal(entry: Entry, result: unknown): void {
    const waiting = this.pending.get(entry.index);
    if (waiting === undefined) return;
    this.pending.delete(entry.index);
    if (waiting.term === entry.term) {
      waiting.resolve({ index: entry.index, result });
    } else {
      this.metrics.proposalsFailed.inc({ reason: 'dropped' });
      waiting.reject(
        new ProposalDroppedError(
          `a new leader replaced its log entry (term ${waiting.term} → ${entry.term})`,
        ),
      );
    }
  }

  /** What applying one committed membership change does beyond the membership itself. */
  private async onConfChangeApplied(step: ConfStep): Promise<void> {
    const { data, index, before, after } = step;
    if (after === before) {
      this.logger.warn('a committed membership change did not apply (the core ignores it too)');
      return;
    }
    const change = decodeConfChange(data);
    const transport = this.options.transport;
    this.logger.info(
      { change, voters: after.voters, learners: after.learners },
      'membership changed',
    );
    if (change.type === 'forceSoleVoter') {
      // Written by offline recovery (baton force-new-cluster): every other member is gone at once.
      for (const id of [...before.voters, ...before.learners]) {
        if (id !== this.id && !isMember(after, id)) transport.removePeer(id);
      }
      if (!isMember(after, this.id)) this.markRemoved({ learnedFrom: 'own-log', index });
      return;
    }
    if (change.node === this.id) {
      if (change.type === 'remove') this.markRemoved({ learnedFrom: 'own-log', index });
      return;
    }
    if (change.type === 'remove') {
      transport.removePeer(change.node);
      return;
    }
    const address =
      (await readMemberAddress(this.options.state.reader(), change.node)) ??
      this.addresses.get(change.node);
    if (address === undefined) {
      this.logger.error(
        { member: change.node },
        'a member was added without a known address; it cannot be reached',
      );
      return;
    }
    this.addresses.set(change.node, address);
    transport.addPeer(change.node, address);
  }

  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.meta.index;
    await this.options.state.importSnapshot(snapshot.data, index);
    // The state holds it now (synced): the log store need not keep the data in memory and on disk.
    await this.options.log.releaseSnapshotData(index);
    // Counted before `applied` moves: whoever sees the new applied index sees the install too.
    this.metrics.snapshotsInstalled.inc();
    this.applied = index;
    this.lastSnapshotIndex = index;
    this.logBytesSinceSnapshot = 0;
    this.conf = snapshot.meta.conf;
    this.disks.refresh(this.conf.voters);
    for (const [at, waiting] of this.pending) {
      if (at > index) continue;
      this.pending.delete(at);
      waiting.reject(
        new ProposalDroppedError('a snapshot replaced the log; the outcome is unknown'),
      );
    }
    const book = await readAddressBook(this.options.state.reader());
    for (const [id, address] of book) {
      const peer = id as NodeId;
      this.addresses.set(peer, address);
      if (peer !== this.id && isMember(this.conf, peer))
        this.options.transport.addPeer(peer, address);
    }
    this.metrics.appliedIndex.set(index);
    this.logger.info(
      { index, term: snapshot.meta.term, voters: snapshot.meta.conf.voters },
      'installed snapshot from leader',
    );
  }

  /**
   * Compacts in the background, one compaction at a time, so the loop keeps committing meanwhile.
   *
   * A compaction copies nothing: the state store becomes the snapshot. Exporting the whole state
   * every N entries on every node made the cost per entry grow with the state (under a
   * write-heavy benchmark the state grew with every put; exports took a sixth of the followers'
   * CPU and set the leader's p99). The state is exported only when a follower needs it
   * (snapshotForPeer), as etcd does with its database.
   */
  private maybeSnapshot(): void {
    const settings = this.options.replica;
    if (this.snapshotInFlight !== null) return;
    const every = settings.snapshotEveryEntries;
    if (this.compactionPhaseConf !== this.conf) {
      this.compactionPhaseConf = this.conf;
      this.compactionPhase = compactionPhase(this.options.id, this.conf, every);
    }
    if (
      !compactionDue(this.applied, this.lastSnapshotIndex, every, this.compactionPhase) &&
      this.logBytesSinceSnapshot <
        compactionByteLimit(SNAPSHOT_MAX_LOG_BYTES, this.compactionPhase, every)
    )
      return;
    this.snapshotInFlight = this.takeSnapshot(settings.snapshotRetainEntries).then(
      () => {
        this.snapshotInFlight = null;
      },
      (error: unknown) => {
        this.snapshotInFlight = null;
        this.fatal(error);
      },
    );
  }

  /**
   * Makes the state durable at the applied index, then compacts the log behind it (keeping
   * `retainEntries` for followers slightly behind). Call where every applied entry has been
   * committed to the state store: the end of an apply run.
   */
  private async takeSnapshot(retainEntries: number): Promise<void> {
    // Index, term and membership are read before the first await: the loop may apply more meanwhile.
    const index = this.applied;
    const term = this.options.log.term(index);
    const conf = this.conf;
    this.logBytesSinceSnapshot = 0;
    const startedMs = performance.now();
    // Ordered after every state commit made so far, so the state on disk is at `index` or later.
    await this.options.state.makeDurable();
    await this.options.log.compact({ index, term, conf }, retainEntries);
    this.lastSnapshotIndex = logIndex(Math.max(this.lastSnapshotIndex, index));
    this.metrics.snapshotsTaken.inc();
    this.logger.info(
      {
        index,
        firstIndex: this.options.log.firstIndex(),
        ms: Math.round(performance.now() - startedMs),
      },
      'state durable; log compacted',
    );
  }

  /**
   * The whole state as of the applied index, with the log position and membership it is as of:
   * a backup. A fresh export, taken between Readys like a follower's snapshot (one export serves
   * both when they coincide); the state must fit MAX_STATE_SNAPSHOT_BYTES.
   */
  exportState(): Promise<Snapshot> {
    if (this.stopped) return Promise.reject(new ReplicaStoppedError());
    return new Promise((resolve, reject) => {
      this.exportWaiters.push({ resolve, reject });
      this.exportSoonIfIdle();
    });
  }

  /** The loop starts a wanted export between Readys; with the loop idle nobody would. */
  private exportSoonIfIdle(): void {
    if (this.running) return;
    setImmediate(() => {
      if (!this.running) this.maybeExportForPeers();
    });
  }

  /**
   * The log store's SnapshotSource: a snapshot for a follower the log no longer covers. Hands out
   * the last export while it is at or past the compaction point; otherwise asks for a new one and
   * throws SnapshotTemporarilyUnavailableError (the core retries on the next heartbeat response).
   */
  private snapshotForPeer(minIndex: LogIndex): Snapshot {
    const cached = this.peerSnapshot;
    if (cached !== null && cached.meta.index >= minIndex) {
      this.peerSnapshotUsedMs = performance.now();
      return cached;
    }
    if (performance.now() < this.peerExportRefusedUntilMs)
      throw new SnapshotTemporarilyUnavailableError();
    this.peerSnapshotWantedAt = logIndex(Math.max(this.peerSnapshotWantedAt ?? 0, minIndex));
    // Called from the core, possibly mid-apply: the loop starts the export between Readys.
    this.exportSoonIfIdle();
    throw new SnapshotTemporarilyUnavailableError();
  }

  /**
   * Starts the export a follower is waiting for. Runs only between Readys or with the loop idle,
   * where every applied entry has been committed to the state store and `conf` is as of `applied`:
   * the export then holds exactly the state at `applied`, and the snapshot's metadata says so.
   */
  private maybeExportForPeers(): void {
    if (this.peerSnapshotExport !== null || this.stopped) return;
    // The core asks on every probe while an export runs: the one that ran may already do.
    const wantedAt = this.peerSnapshotWantedAt;
    if (wantedAt !== null && this.peerSnapshot !== null && this.peerSnapshot.meta.index >= wantedAt)
      this.peerSnapshotWantedAt = null;
    // A follower's export waits until the state has reached what it needs (between Readys,
    // applied catches up with commit); a backup's starts at once.
    const forFollower =
      this.peerSnapshotWantedAt !== null && this.applied >= this.peerSnapshotWantedAt;
    if (!forFollower && this.exportWaiters.length === 0) return;
    if (forFollower) this.peerSnapshotWantedAt = null;
    const index = this.applied;
    const term = this.options.log.term(index);
    const conf = this.conf;
    const startedMs = performance.now();
    const waiters = this.exportWaiters;
    this.exportWaiters = [];
    this.peerSnapshotExport = this.options.state.exportSnapshot().then(
      (data) => {
        this.peerSnapshotExport = null;
        const snapshot: Snapshot = { meta: { index, term, conf }, data };
        this.peerSnapshot = snapshot;
        this.peerSnapshotUsedMs = performance.now();
        this.metrics.snapshotsExported.inc();
        this.logger.info(
          {
            index,
            bytes: data.length,
            ms: Math.round(performance.now() - startedMs),
            backups: waiters.length,
          },
          'exported the state',
        );
        for (const waiter of waiters) waiter.resolve(snapshot);
        // Backups asked for while this one ran need one from a later point; a follower may too.
        if ((this.peerSnapshotWantedAt !== null || this.exportWaiters.length > 0) && !this.stopped)
          this.exportSoonIfIdle();
      },
      (error: unknown) => {
        this.peerSnapshotExport = null;
        for (const waiter of waiters) waiter.reject(error);
        // Too large to export is a limit the operator must hear about, not a broken node.
        // (The store's StateTooLargeError: RESOURCE_EXHAUSTED.)
        if (error instanceof BatonError && error.code === 'RESOURCE_EXHAUSTED') {
          // Followers ask on every heartbeat; each try reads the whole state before it fails.
          this.peerExportRefusedUntilMs = performance.now() + PEER_EXPORT_RETRY_AFTER_REFUSAL_MS;
          this.logger.error({ err: error }, 'export refused');
        } else this.fatal(error);
      },
    );
  }

  // ---------------------------------------------------------------- leadership and reads

  private onSoftState(next: SoftState, nextTerm: Term | undefined): void {
    const previous = this.softState;
    this.softState = next;
    if (next.role === 'leader' && previous.role !== 'leader')
      this.leadingSinceMs = performance.now();
    this.reportLostContact(previous, next, nextTerm);
    this.metrics.role.set(ROLE_VALUES[next.role]);
    this.metrics.isLeader.set(next.role === 'leader' ? 1 : 0);
    // A transfer this node asked for moved its whole log to the successor (the target caught up
    // first), so its proposals still commit there: they keep waiting instead of failing.
    const transferred = this.transferWaiters.some((w) => w.target === next.leader);
    if (previous.leader !== next.leader) {
      this.leaderContactMs = performance.now();
      this.metrics.leaderChanges.inc();
      this.metrics.setLeader(next.leader);
      this.logger.info({ leader: next.leader, role: next.role }, 'leader changed');
      this.settleTransfers(next.leader);
    }
    if (previous.role === 'leader' && next.role !== 'leader') {
      this.reads.failAll(new NotLeaderError(next.leader));
      // Its followers' snapshots are the next leader's to send.
      this.peerSnapshotWantedAt = null;
      // Failed once this Ready's committed entries are applied: those answer their callers.
      if (!transferred) this.steppedDown = true;
      this.metrics.peerLag.reset();
      this.metrics.peerSilent.reset();
    }
  }

  /**
   * Says why leadership is moving when this node is the one that noticed: a follower that heard
   * nothing from its leader for an election timeout, or a leader that heard from no quorum for
   * one. The report (when each peer was last heard from, what waits in the transport, this
   * node's longest tick gap) tells a network or peer problem from a stall of this node.
   */
  private reportLostContact(
    previous: SoftState,
    next: SoftState,
    nextTerm: Term | undefined,
  ): void {
    let message: string;
    if (previous.role === 'follower' && next.role !== 'follower' && next.role !== 'leader') {
      if (previous.leader === null) return; // no leader yet (start-up, or already searching)
      // With pre-vote, a timeout goes through preCandidate; straight to candidate is a transfer.
      if (next.role === 'candidate' && this.options.raft.preVote) return;
      message = `no word from leader ${previous.leader} within the election timeout: starting an election`;
    } else if (previous.role === 'leader' && next.role !== 'leader') {
      if (this.transferWaiters.length > 0) return; // a transfer this node asked for
      message =
        nextTerm !== undefined && nextTerm > this.currentTerm
          ? `stepping down: a peer campaigned in term ${nextTerm}`
          : 'stepping down: no quorum of voters heard from within the election timeout';
    } else {
      return;
    }
    const peers = [...this.conf.voters, ...this.conf.learners].filter((id) => id !== this.id);
    const report = this.contact.report(performance.now(), peers, this.options.transport.stats());
    this.logger.warn({ contact: report }, message);
  }

  /**
   * A deposed leader cannot tell whether its uncommitted proposals will commit under the new
   * leader; rather than hold callers until requestTimeoutMs, it fails them at once with
   * UNAVAILABLE (outcome unknown) and the leader hint, so they retry on the new leader now.
   */
  private failProposalsOnStepDown(leader: NodeId | null): void {
    if (this.pending.size === 0) return;
    const hint = leader === null ? 'no leader is known yet' : `the leader is now ${leader}`;
    for (const waiting of this.pending.values()) {
      this.metrics.proposalsFailed.inc({ reason: 'dropped' });
      waiting.reject(
        new ProposalDroppedError(
          `this node stopped being the leader (${hint}); the command may or may not have been applied`,
        ),
      );
    }
    this.pending.clear();
    this.metrics.pendingProposals.set(0);
  }

  private onTerm(term: Term): void {
    this.currentTerm = term;
    this.logger = this.baseLogger.child({ term });
    this.metrics.term.set(term);
  }

  private mostCaughtUpVoter(): NodeId | null {
    const progress = this.raftNode.status().progress;
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const voter of this.conf.voters) {
      if (voter === this.id) continue;
      const match = progress?.get(voter)?.match ?? 0;
      if (match > bestMatch) {
        best = voter;
        bestMatch = match;
      }
    }
    return best;
  }

  private awaitTransfer(target: NodeId, timeoutMs: number): Promise<NodeId> {
    return new Promise<NodeId>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.transferWaiters = this.transferWaiters.filter((w) => w.timer !== timer);
        reject(new TransferFailedError(target, timeoutMs));
      }, timeoutMs);
      this.transferWaiters.push({ target, resolve, reject, timer });
      try {
        this.raftNode.transferLeadership(target);
      } catch (error) {
        clearTimeout(timer);
        this.transferWaiters = this.transferWaiters.filter((w) => w.timer !== timer);
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.kick();
    });
  }

  private settleTransfers(leader: NodeId | null): void {
    if (leader === null || this.transferWaiters.length === 0) return;
    // Waiters for another target keep waiting: leadership may pass through other nodes first.
    const done = this.transferWaiters.filter((w) => w.target === leader);
    this.transferWaiters = this.transferWaiters.filter((w) => w.target !== leader);
    for (const waiter of done) {
      clearTimeout(waiter.timer);
      waiter.resolve(leader);
    }
  }

  private async handOffLeadership(): Promise<void> {
    const target = this.mostCaughtUpVoter();
    if (target === null) return;
    const timeoutMs = this.options.replica.shutdownTransferTimeoutMs;
    this.logger.info({ to: target }, 'shutting down: transferring leadership first');
    const startedMs = performance.now();
    const transfer = this.awaitTransfer(target, timeoutMs);
    const watch = { done: false };
    const outcome = await Promise.race([
      transfer.then(
        () => 'transferred' as const,
        (error: unknown) => error,
      ),
      this.transferGivenUp(target, watch),
    ]);
    watch.done = true;
    if (outcome === 'transferred') {
      this.logger.info({ to: target }, 'leadership transferred');
      // Proposals this node accepted are in the successor's log and commit in its term; wait
      // (bounded) to see them applied so their callers get an answer instead of an error.
      while (this.pending.size > 0 && performance.now() - startedMs < timeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, HOUSEKEEPING_INTERVAL_MS));
      }
    } else if (typeof outcome === 'string') {
      // Typically the whole cluster is stopping at once (Ctrl-C on `npm start`): nobody is left
      // to take over, and waiting out the timeout would only delay the stop. The waiter is
      // failed with everything else when the stop completes.
      this.logger.info({ to: target, afterMs: Math.round(performance.now() - startedMs) }, outcome);
    } else {
      this.logger.warn(
        { err: outcome, to: target },
        'leadership transfer before shutdown did not complete; stopping anyway',
      );
    }
  }

  /**
   * Resolves with a reason once the hand-off can no longer succeed: the core gave the transfer up
   * (the target did not take over within an election timeout) while this node still leads, or
   * this node stepped down and no leader appeared for two election timeouts.
   */
  private async transferGivenUp(
    target: NodeId,
    watch: { readonly done: boolean },
  ): Promise<string> {
    const settings = this.options.raft;
    const leaderlessLimitMs = 2 * settings.electionTicks * settings.tickMs;
    let leaderlessSinceMs: number | null = null;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, settings.tickMs));
      if (watch.done || this.stopped) return 'stopped watching the transfer';
      const status = this.raftNode.status();
      if (status.role === 'leader') {
        if (status.leadTransferee === null)
          return `${target} did not take over within an election timeout; stopping anyway`;
        continue;
      }
      if (status.leader !== null) {
        leaderlessSinceMs = null;
        continue;
      }
      leaderlessSinceMs ??= performance.now();
      if (performance.now() - leaderlessSinceMs > leaderlessLimitMs)
        return 'no node took over leadership (the others are likely stopping too); stopping anyway';
    }
  }

  // ---------------------------------------------------------------- housekeeping

  private housekeeping(): void {
    if (this.stopped) return;
    const nowMs = performance.now();
    this.expireProposals(nowMs);
    this.reads.expire(nowMs);
    if (this.peerSnapshot !== null && nowMs - this.peerSnapshotUsedMs > PEER_SNAPSHOT_KEEP_MS)
      this.peerSnapshot = null;
    const status = this.raftNode.status();
    this.updateGauges(status);
    if (
      status.role === 'leader' &&
      nowMs - this.lastPromotionCheckMs >= this.options.replica.promoteIntervalMs
    ) {
      this.lastPromotionCheckMs = nowMs;
      this.promoteCaughtUpLearners(status);
    }
  }

  private expireProposals(nowMs: number): void {
    const timeoutMs = this.options.replica.requestTimeoutMs;
    for (const [index, waiting] of this.pending) {
      if (waiting.deadlineMs > nowMs) break;
      this.pending.delete(index);
      this.metrics.proposalsFailed.inc({ reason: 'timeout' });
      waiting.reject(new RequestTimeoutError('the proposal', timeoutMs));
    }
    this.metrics.pendingProposals.set(this.pending.size);
  }

  private promoteCaughtUpLearners(status: RaftStatus): void {
    if (this.conf.learners.length === 0 || this.applied < this.promotionInFlightUntil) return;
    const lag = this.options.replica.promoteLagEntries;
    for (const learner of this.conf.learners) {
      const progress = status.progress?.get(learner);
      if (progress === undefined || progress.state !== 'replicate' || progress.match === 0)
        continue;
      if (progress.match + lag < status.lastIndex) continue;
      // As a voter it would stop every client write at once (admitClientWrite); as a learner it
      // only catches up. It is promoted once it reports room.
      const storage = this.disks.of(learner);
      if (storage.diskLow) {
        if (!this.promotionHeldForDisk.has(learner)) {
          this.promotionHeldForDisk.add(learner);
          this.logger.warn(
            { learner, freeBytes: storage.diskFreeBytes },
            `${learner} has caught up but stays a learner while its data volume is low (${formatBytes(storage.diskFreeBytes)} free): as a voter it would hold back every client write`,
          );
        }
        continue;
      }
      this.promotionHeldForDisk.delete(learner);
      try {
        const position = this.raftNode.proposeConfChange({ type: 'promote', node: learner });
        this.promotionInFlightUntil = position.index;
        this.logger.info(
          { learner, match: progress.match },
          'promoting caught-up learner to voter',
        );
        this.kick();
      } catch (error) {
        if (!(error instanceof ConfChangeRejectedError)) throw error;
        this.logger.debug({ err: error, learner }, 'promotion deferred');
      }
      return;
    }
  }

  /** Leader: how long since `peer` was last heard from, counted from this term's start at most. */
  private silenceMs(peer: NodeId, nowMs: number): number {
    return nowMs - Math.max(this.contact.lastHeard(peer) ?? 0, this.leadingSinceMs);
  }

  private updateGauges(status: RaftStatus = this.raftNode.status()): void {
    this.metrics.term.set(status.term);
    this.metrics.commitIndex.set(status.commit);
    this.metrics.appliedIndex.set(this.applied);
    this.metrics.lastIndex.set(status.lastIndex);
    if (status.progress === null) return;
    const nowMs = performance.now();
    for (const [peer, progress] of status.progress) {
      if (peer === this.id) continue;
      this.metrics.peerLag.set({ peer }, Math.max(0, status.lastIndex - progress.match));
      this.metrics.peerSilent.set({ peer }, Math.round(this.silenceMs(peer, nowMs)) / 1000);
    }
  }

  // ---------------------------------------------------------------- failure

  private failEverything(error: unknown): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.reads.failAll(error instanceof Error ? error : new Error(String(error)));
    for (const waiter of this.transferWaiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.transferWaiters = [];
    for (const waiter of this.exportWaiters) waiter.reject(error);
    this.exportWaiters = [];
    this.metrics.pendingProposals.set(0);
  }

  private fatal(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.logger.fatal({ err: error }, 'replica loop failed; stopping the node');
    this.stopped = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.housekeepingTimer !== null) clearInterval(this.housekeepingTimer);
    this.failEverything(new ReplicaStoppedError('this node hit a fatal error'));
    this.options.onFatal?.(error);
  }
}

function failureReason(error: unknown): string {
  if (error instanceof NotLeaderError) return 'not_leader';
  if (error instanceof UncommittedLimitError) return 'uncommitted_limit';
  if (error instanceof ProposalDroppedError) return 'dropped';
  if (error instanceof ConfChangeRejectedError) return 'conf_change_rejected';
  return 'other';
}

/** Membership as of `applied`: the log snapshot's, then every config entry up to `applied`. */
function confAsOfApplied(log: ReplicaLogStore, applied: LogIndex): ConfState {
  let conf = log.initialState().conf;
  const end = Math.min(applied, log.lastIndex());
  let next = log.firstIndex();
  while (next <= end) {
    const chunk = log.entries(next, logIndex(end + 1), REPLAY_CHUNK_BYTES);
    for (const entry of chunk) {
      if (entry.kind === 'config') conf = applyConfChangeEntry(conf, entry.data);
    }
    next = logIndex(next + chunk.length);
  }
  return conf;
}
