/**
 * The Raft consensus core (etcd-io/raft's shape). A pure state machine: the host ticks it for
 * time, steps it with messages, and collects its work as data with ready()/advance().
 *
 * Each role is a step function plus a tick function, switched only in becomeFollower /
 * becomePreCandidate / becomeCandidate / becomeLeader.
 */
import { assert, INDEX_ZERO, logIndex, term as toTerm, TERM_ZERO } from '../lib/index.ts';
import type { LogIndex, NodeId, Term } from '../lib/index.ts';
import {
  applyConfChange,
  applyConfChangeEntry,
  encodeConfChange,
  isMember,
  isVoter,
} from './conf-change.ts';
import {
  ConfChangePendingError,
  ConfChangeRejectedError,
  NotLeaderError,
  ProposalDroppedError,
  SnapshotTemporarilyUnavailableError,
  UncommittedLimitError,
} from './errors.ts';
import { RaftLog } from './log.ts';
import { Progress } from './progress.ts';
import { MAX_PENDING_READS, ReadOnly } from './read-only.ts';
import type {
  ConfChange,
  ConfState,
  Entry,
  EntryKind,
  HardState,
  Message,
  MessageType,
  PeerProgress,
  ProposalPosition,
  RaftConfig,
  RaftStatus,
  Ready,
  ReadState,
  Role,
  SoftState,
} from './types.ts';

const EMPTY_BYTES = new Uint8Array(0);
const NO_ENTRIES: readonly Entry[] = [];
/** Marks (pre)vote requests of a leadership transfer: voters then ignore their leader lease. */
const TRANSFER_CONTEXT = new Uint8Array([0x74]);

type CampaignKind = 'preElection' | 'election' | 'transfer';
type PollResult = 'won' | 'lost' | 'pending';

interface ConfPoint {
  /** The log index of the config entry (or of the snapshot) that produced `conf`. */
  readonly index: LogIndex;
  readonly conf: ConfState;
}

interface UncommittedProposal {
  readonly index: LogIndex;
  readonly bytes: number;
}

export class RaftNode {
  readonly id: NodeId;
  private readonly config: RaftConfig;
  private readonly log: RaftLog;

  private term: Term = TERM_ZERO;
  private vote: NodeId | null = null;
  private lead: NodeId | null = null;
  private role: Role = 'follower';
  private stepRole: (m: Message) => void = (m) => {
    this.stepFollower(m);
  };
  private tickRole: () => void = () => {
    this.tickElection();
  };

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  /** Ticks since a leader last spoke to us: the (pre)vote lease. */
  private leaderContactElapsed = 0;
  private randomizedElectionTimeout = 0;
  /**
   * How long after hearing from a leader we refuse (pre)votes (leader stickiness). Shorter than
   * the shortest election timeout on purpose: ticks of different processes are not aligned, and
   * etcd lost whole election rounds to votes refused by a follower whose lease had one tick left
   * when a candidate timed out. A live leader's heartbeats refresh the lease every
   * heartbeatTicks anyway, so a shorter lease costs no protection against disruption.
   */
  private readonly leaseTicks: number;

  private readonly votes = new Map<NodeId, boolean>();
  private readonly progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId | null = null;
  private readonly readOnly = new ReadOnly();
  /** Reads that arrived before this leader committed an entry of its term. */
  private pendingReads: string[] = [];
  private readStates: ReadState[] = [];

  private msgs: Message[] = [];
  private msgsAfterPersist: Message[] = [];
  /** Appends are batched: proposals mark this, ready() sends one append per follower. */
  private pendingBroadcast = false;
  /** Reused by maybeCommit. */
  private readonly matchScratch: number[] = [];

  private uncommitted: UncommittedProposal[] = [];
  private uncommittedHead = 0;
  private uncommittedBytes = 0;

  /** confHistory[0] is committed; later points may be uncommitted and revert on truncation. */
  private confHistory: ConfPoint[];
  /**
   * Started with no membership, no snapshot and no log (`--join`: a new node, or a member whose
   * disk was wiped): its log has no base. Replaying the cluster's log from index 1 would start it
   * from the empty membership instead of the founders', so it could end up a lone voter and elect
   * itself beside the real leader; and a wiped member no longer holds what it acknowledged, so
   * its vote could elect a leader that lacks committed entries. Until it has installed a
   * snapshot it takes nothing else and grants no vote (src/sim/FINDINGS.md 3 and 4).
   */
  private awaitingBase: boolean;

  private prevHardState: HardState;
  private prevSoftState: SoftState;

  constructor(config: RaftConfig) {
    validateConfig(config);
    this.config = config;
    this.id = config.id;
    this.leaseTicks = Math.min(
      config.electionTicks - 1,
      Math.max(2 * config.heartbeatTicks, Math.floor(config.electionTicks / 2)),
    );
    const storage = config.storage;
    const initial = storage.initialState();
    const snapshotIndex = storageSnapshotIndex(config);
    const applied = logIndex(Math.max(config.applied, storage.firstIndex() - 1));
    const committed = logIndex(Math.max(initial.hardState.commit, applied));
    this.log = new RaftLog(storage, committed, applied);
    this.confHistory = [{ index: snapshotIndex, conf: initial.conf }];
    this.awaitingBase =
      snapshotIndex === 0 &&
      storage.lastIndex() === 0 &&
      initial.conf.voters.length === 0 &&
      initial.conf.learners.length === 0;
    this.replayStoredConfChanges(snapshotIndex);
    this.pruneConfHistory();
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    this.becomeFollower(this.term, null);
    this.prevHardState = this.hardState();
    this.prevSoftState = this.softState();
  }

  // --- Public API --------------------------------------------------------------------------------

  /** Advances logical time by one tick (elections, heartbeats, check-quorum). */
  tick(): void {
    this.tickRole();
  }

  /** Handles a message from a peer. Messages not addressed to us or malformed are dropped. */
  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id || !wellFormed(m)) return;
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const transfer = m.context.length > 0;
        if (!transfer && this.inLease()) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote asks for a term we might campaign in; it changes no one's term.
      } else if (m.type === 'preVoteResponse' && !m.reject) {
        // Granted pre-votes carry the future term we asked about; we move to it only on a quorum.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      this.stepStale(m);
      return;
    }
    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    this.stepRole(m);
  }

  /**
   * Appends a command to the leader's log. It succeeded only if the entry later committed at the
   * returned index has the returned term. Throws NotLeaderError, ProposalDroppedError (during a
   * leadership transfer) or UncommittedLimitError (no quorum keeping up).
   */
  propose(data: Uint8Array): ProposalPosition {
    return this.proposeEntry('normal', data);
  }

  /** Proposes one membership change; throws ConfChangeRejectedError when it is invalid, ConfChangePendingError when it may not go yet. */
  proposeConfChange(change: ConfChange): ProposalPosition {
    this.requireLeader();
    if (change.type === 'forceSoleVoter') {
      // Only offline recovery writes it, to a stopped node's log; a running cluster that
      // replicated one would silently drop every other member.
      throw new ConfChangeRejectedError(
        'a forced membership cannot be proposed (it is written offline by baton force-new-cluster)',
      );
    }
    // The safety rule of single-server changes (see conf-change.ts): first an entry of our own
    // term must be committed, and no earlier change may still be uncommitted.
    if (this.log.termOrZero(this.log.committed) !== this.term) {
      throw new ConfChangePendingError(
        'the leader has not yet committed an entry of its term; retry shortly',
      );
    }
    if (this.latestConfPoint().index > this.log.committed) {
      throw new ConfChangePendingError(
        'an earlier membership change is not yet committed; retry when it is',
      );
    }
    applyConfChange(this.conf(), change);
    return this.proposeEntry('config', encodeConfChange(change));
  }

  /**
   * Starts a linearizable read (leader only). Later a Ready carries {requestId, index}: serve the
   * read once the state machine has applied `index`. A leader that loses leadership first never
   * answers; the host times the read out.
   */
  readIndex(requestId: string): void {
    this.requireLeader();
    if (this.readOnly.pendingCount() + this.pendingReads.length >= MAX_PENDING_READS) {
      throw new ProposalDroppedError(
        `more than ${MAX_PENDING_READS} reads are pending at the leader`,
      );
    }
    if (this.log.termOrZero(this.log.committed) !== this.term) {
      this.pendingReads.push(requestId);
      return;
    }
    this.startRead(requestId);
  }

  /** Hands leadership to voter `to` once it has caught up; proposals are refused meanwhile. */
  transferLeadership(to: NodeId): void {
    this.requireLeader();
    if (to === this.id) return;
    if (!isVoter(this.conf(), to)) {
      throw new ProposalDroppedError(`cannot transfer leadership to ${to}: it is not a voter`);
    }
    if (this.leadTransferee === to) return;
    this.abortLeaderTransfer();
    // The transfer must finish within one election timeout, or it is aborted (tickHeartbeat).
    this.electionElapsed = 0;
    this.leadTransferee = to;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(to);
    } else {
      this.maybeSendAppend(to, true);
    }
  }

  /** Starts an election now (with pre-vote when configured), as if the election timer fired. */
  campaign(): void {
    this.hup(this.config.preVote ? 'preElection' : 'election');
  }

  /** The transport failed to deliver to `peer`: stop streaming to it optimistically. */
  reportUnreachable(peer: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(peer);
    if (pr && pr.state === 'replicate') pr.becomeProbe();
  }

  /** The transport finished (or gave up) sending a snapshot message to `peer`. */
  reportSnapshot(peer: NodeId, status: 'finished' | 'failed'): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(peer);
    if (!pr || pr.state !== 'snapshot') return;
    if (status === 'failed') pr.pendingSnapshot = INDEX_ZERO;
    pr.becomeProbe();
    // Finished: wait for the follower's append response. Failed: wait for a heartbeat response.
    pr.probeSent = true;
  }

  /** Cheap: whether ready() would return any work. */
  hasReady(): boolean {
    return (
      this.pendingBroadcast ||
      this.msgs.length > 0 ||
      this.msgsAfterPersist.length > 0 ||
      this.readStates.length > 0 ||
      this.log.hasEntriesToPersist() ||
      this.log.hasSnapshotToPersist() ||
      this.log.hasCommittedToApply() ||
      this.hardStateChanged() ||
      this.prevSoftState.leader !== this.lead ||
      this.prevSoftState.role !== this.role
    );
  }

  /**
   * The work accumulated since the last ready(). Each item is handed out once, so a host may take
   * a second Ready before advancing the first (pipelined persistence), advancing them in order.
   */
  ready(): Ready {
    this.flushBroadcast();
    this.readOnly.seal();
    this.pruneConfHistory();
    const snapshot = this.log.takeSnapshotToPersist();
    const entries = this.log.takeEntriesToPersist();
    const committedEntries = this.log.takeCommittedToApply(this.config.maxCommittedBytesPerReady);
    let hardState: HardState | null = null;
    if (this.hardStateChanged()) {
      hardState = this.hardState();
      this.prevHardState = hardState;
    }
    let softState: SoftState | null = null;
    if (this.prevSoftState.leader !== this.lead || this.prevSoftState.role !== this.role) {
      softState = this.softState();
      this.prevSoftState = softState;
    }
    const ready: Ready = {
      softState,
      hardState,
      entries,
      snapshot,
      messages: this.msgs,
      messagesAfterPersist: this.msgsAfterPersist,
      committedEntries,
      readStates: this.readStates,
    };
    this.msgs = [];
    this.msgsAfterPersist = [];
    this.readStates = [];
    return ready;
  }

  /** The host persisted, sent and applied `ready` (see the Ready contract in types.ts). */
  advance(ready: Ready): void {
    if (ready.snapshot) {
      this.log.stableSnapshotTo(ready.snapshot.meta.index);
      this.log.appliedTo(ready.snapshot.meta.index);
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry) {
      this.log.stableTo(lastEntry.index, lastEntry.term);
      if (this.role === 'leader') this.selfDurable();
    }
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastCommitted) this.log.appliedTo(lastCommitted.index);
  }

  status(): RaftStatus {
    let progress: Map<NodeId, PeerProgress> | null = null;
    if (this.role === 'leader') {
      progress = new Map();
      for (const [id, pr] of this.progress) progress.set(id, pr.view());
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.lead,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      conf: this.conf(),
      progress,
      leadTransferee: this.leadTransferee,
    };
  }

  // --- Role changes ------------------------------------------------------------------------------

  private becomeFollower(term: Term, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
    this.stepRole = (m) => {
      this.stepFollower(m);
    };
    this.tickRole = () => {
      this.tickElection();
    };
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // Pre-vote changes neither term nor vote: a partitioned node that keeps failing pre-votes
    // rejoins at its old term and disrupts no one.
    this.votes.clear();
    this.lead = null;
    this.resetElectionTimeout();
    this.role = 'preCandidate';
    this.stepRole = (m) => {
      this.stepCandidate(m);
    };
    this.tickRole = () => {
      this.tickElection();
    };
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(toTerm(this.term + 1));
    this.vote = this.id;
    this.role = 'candidate';
    this.stepRole = (m) => {
      this.stepCandidate(m);
    };
    this.tickRole = () => {
      this.tickElection();
    };
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.stepRole = (m) => {
      this.stepLeader(m);
    };
    this.tickRole = () => {
      this.tickHeartbeat();
    };
    this.syncProgress();
    const self = this.progress.get(this.id);
    if (self) {
      self.match = this.log.stableLastIndex();
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Raft §5.4.2: earlier terms' entries commit only through an entry of ours; the no-op is it.
    this.appendOwn([
      {
        term: this.term,
        index: logIndex(this.log.lastIndex() + 1),
        kind: 'noop',
        data: EMPTY_BYTES,
      },
    ]);
    this.pendingBroadcast = true;
  }

  private reset(term: Term): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
    this.leadTransferee = null;
    this.votes.clear();
    this.progress.clear();
    this.readOnly.reset();
    this.pendingReads = [];
    this.pendingBroadcast = false;
    this.uncommitted = [];
    this.uncommittedHead = 0;
    this.uncommittedBytes = 0;
  }

  /** A fresh draw from [electionTicks, 2 * electionTicks): split votes rarely repeat. */
  private resetElectionTimeout(): void {
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.config.rng.int(
      this.config.electionTicks,
      2 * this.config.electionTicks,
    );
  }

  // --- Ticks -------------------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    this.leaderContactElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(this.config.preVote ? 'preElection' : 'election');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, null);
          return;
        }
        for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
      }
      this.sweepStaleSnapshots();
      this.abortLeaderTransfer();
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(EMPTY_BYTES);
    }
    this.sendCommitNotices();
  }

  // --- Step functions ----------------------------------------------------------------------------

  /** A message from an older term. */
  private stepStale(m: Message): void {
    if (
      (this.config.checkQuorum || this.config.preVote) &&
      (m.type === 'append' || m.type === 'heartbeat')
    ) {
      // A leader of an older term: maybe we advanced our term in a partition and now neither win
      // an election (our log is behind) nor rejoin. Our term in a response deposes the old leader.
      this.send({ type: 'appendResponse', to: m.from }, true);
    } else if (m.type === 'preVote') {
      this.send({ type: 'preVoteResponse', to: m.from, reject: true }, true);
    }
  }

  private handleVoteRequest(m: Message): void {
    const isPreVote = m.type === 'preVote';
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (isPreVote && m.term > this.term);
    const logOk =
      this.config.testingBugs?.voteWithoutLogCheck === true ||
      this.log.isUpToDate(m.index, m.logTerm);
    // A node with no base never votes: a new node's vote is never needed (it stays a learner
    // until caught up), and a wiped member no longer holds the entries its earlier
    // acknowledgements helped commit, nor remembers the votes it cast.
    const hasBase = !this.awaitingBase;
    const responseType: MessageType = isPreVote ? 'preVoteResponse' : 'voteResponse';
    // A granted vote is durable state: the response waits for persistence, unless the test
    // switch breaks exactly that on purpose.
    const afterPersist = isPreVote || this.config.testingBugs?.replyBeforePersistingVote !== true;
    if (canVote && logOk && hasBase) {
      this.send({ type: responseType, to: m.from, term: m.term }, afterPersist);
      if (!isPreVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, to: m.from, reject: true }, afterPersist);
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.heardFromLeader(m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        // Leadership transfer: campaign at once, skipping pre-vote (the leader asked for it).
        this.hup('transfer');
        return;
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'preVote':
      case 'preVoteResponse':
      case 'vote':
      case 'voteResponse':
        return;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // A leader exists in our term.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResponse':
      case 'voteResponse': {
        const expected = this.role === 'preCandidate' ? 'preVoteResponse' : 'voteResponse';
        if (m.type !== expected) return;
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === 'preCandidate') this.campaign_('election');
          else this.becomeLeader();
        } else if (result === 'lost') {
          this.becomeFollower(this.term, null);
        }
        return;
      }
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'preVote':
      case 'timeoutNow':
      case 'vote':
        return;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'appendResponse':
        pr.recentActive = true;
        if (m.reject) this.handleAppendRejection(m, pr);
        else this.handleAppendSuccess(m, pr);
        return;
      case 'heartbeatResponse':
        this.handleHeartbeatResponse(m, pr);
        return;
      case 'append':
      case 'heartbeat':
      case 'preVote':
      case 'preVoteResponse':
      case 'snapshot':
      case 'timeoutNow':
      case 'vote':
      case 'voteResponse':
        // Stale answers to an earlier candidacy, or requests only followers handle.
        return;
    }
  }

  // --- Follower handlers -------------------------------------------------------------------------

  private heardFromLeader(leader: NodeId): void {
    this.electionElapsed = 0;
    this.leaderContactElapsed = 0;
    this.lead = leader;
  }

  private handleAppend(m: Message): void {
    const log = this.log;
    if (this.awaitingBase) {
      // Whatever the leader thinks we hold (a wiped node may have acknowledged entries in an
      // earlier life), we hold nothing: a refusal at index 0, which matches every other log,
      // says so unambiguously, and the leader answers with a snapshot.
      this.send(
        {
          type: 'appendResponse',
          to: m.from,
          index: INDEX_ZERO,
          reject: true,
          rejectHint: INDEX_ZERO,
        },
        true,
      );
      return;
    }
    if (m.index < log.committed) {
      this.send({ type: 'appendResponse', to: m.from, index: log.committed }, true);
      return;
    }
    if (!log.matchTerm(m.index, m.logTerm)) {
      // Fast backtracking: point the leader at our last entry whose term is <= the term it
      // expected; every entry between there and m.index is of a later term and cannot match.
      const hintIndex = logIndex(Math.min(m.index, log.lastIndex()));
      const hint = log.findConflictByTerm(hintIndex, m.logTerm);
      this.send(
        {
          type: 'appendResponse',
          to: m.from,
          index: m.index,
          reject: true,
          rejectHint: hint.index,
          logTerm: hint.term,
        },
        true,
      );
      return;
    }
    const lastNew = logIndex(m.index + m.entries.length);
    const conflict = log.findConflict(m.entries);
    if (conflict !== 0) {
      assert(
        conflict > log.committed,
        () => `entry ${conflict} conflicts with committed entries (commit ${log.committed})`,
      );
      const fresh = m.entries.slice(conflict - m.index - 1);
      log.append(fresh);
      this.onAppended(fresh);
    }
    log.commitTo(logIndex(Math.min(m.commit, lastNew)));
    this.send({ type: 'appendResponse', to: m.from, index: lastNew }, true);
  }

  private handleHeartbeat(m: Message): void {
    // The leader caps m.commit at what it knows we hold durably, so it is ours to commit.
    this.log.commitTo(logIndex(Math.min(m.commit, this.log.lastIndex())));
    this.send({ type: 'heartbeatResponse', to: m.from, context: m.context }, true);
  }

  private handleSnapshot(m: Message): void {
    const snapshot = m.snapshot;
    if (snapshot === null) return;
    const { index, term, conf } = snapshot.meta;
    // A snapshot whose membership lacks us is still installed (unlike etcd): a joining node is
    // sent a snapshot older than its own addition and learns the addition from the entries that
    // follow. Installing one can only take voting rights away until the log restores them, which
    // is safe (a non-voter never campaigns).
    if (index <= this.log.committed) {
      this.send({ type: 'appendResponse', to: m.from, index: this.log.committed }, true);
      return;
    }
    if (this.log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry: just fast-forward the commit index.
      this.log.commitTo(index);
      this.send({ type: 'appendResponse', to: m.from, index: this.log.committed }, true);
      return;
    }
    // The log conflicts with the snapshot or ends before it: discard all of it
    // (hashicorp/raft#697: keeping a conflicting log led to snapshot loops).
    this.log.restore(snapshot);
    this.confHistory = [{ index, conf }];
    if (this.awaitingBase) {
      this.awaitingBase = false;
      // It may have lost a vote cast in this term in an earlier life: count it as voting for the
      // leader it now follows, so that not even a restart lets it vote for another in this term.
      if (this.vote === null) this.vote = m.from;
    }
    this.send({ type: 'appendResponse', to: m.from, index: this.log.lastIndex() }, true);
  }

  // --- Leader handlers ---------------------------------------------------------------------------

  private handleAppendRejection(m: Message, pr: Progress): void {
    if (m.index === 0) {
      // A node with no base refused our log's first entry: it joined, or lost its disk and
      // started again with --join (then what it acknowledged before is gone too).
      if (pr.state !== 'snapshot') {
        pr.restartFromSnapshot();
        this.sendSnapshot(m.from, pr);
      }
      return;
    }
    let retryFrom = m.rejectHint;
    if (m.logTerm > 0) {
      // Skip the follower's whole conflicting term: retry after our last entry of a term no
      // later than the one the follower holds at its hint.
      retryFrom = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
    }
    if (pr.maybeDecrTo(m.index, retryFrom)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      this.maybeSendAppend(m.from, true);
    }
  }

  private handleAppendSuccess(m: Message, pr: Progress): void {
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit() && this.role !== 'leader') return;
    // The window may have room for several size-limited appends now: the pipeline refills.
    while (this.maybeSendAppend(m.from, false));
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    // All appends filling the window may have been lost: free one slot so replication resumes
    // (the follower then rejects the gap and we fall back to probing).
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
    if (pr.match < this.log.lastIndex()) this.maybeSendAppend(m.from, true);
    if (m.context.length === 0) return;
    const released = this.readOnly.ack(m.from, m.context, (acks) => this.hasQuorum(acks));
    for (const read of released) this.readStates.push(read);
  }

  // --- Replication -------------------------------------------------------------------------------

  private proposeEntry(kind: EntryKind, data: Uint8Array): ProposalPosition {
    this.requireLeader();
    if (this.leadTransferee !== null) {
      throw new ProposalDroppedError(
        `leadership is being transferred to ${this.leadTransferee}; retry at the new leader`,
      );
    }
    const bytes = data.length;
    if (
      this.uncommittedBytes > 0 &&
      this.uncommittedBytes + bytes > this.config.maxUncommittedBytes
    ) {
      throw new UncommittedLimitError(this.config.maxUncommittedBytes);
    }
    const entry: Entry = { term: this.term, index: logIndex(this.log.lastIndex() + 1), kind, data };
    this.appendOwn([entry]);
    this.uncommitted.push({ index: entry.index, bytes });
    this.uncommittedBytes += bytes;
    this.pendingBroadcast = true;
    return { index: entry.index, term: entry.term };
  }

  /** Appends entries of our own as leader; they count for our quorum once advance says durable. */
  private appendOwn(entries: Entry[]): void {
    this.log.append(entries);
    this.onAppended(entries);
  }

  /** The leader's own entries became durable. */
  private selfDurable(): void {
    const self = this.progress.get(this.id);
    if (!self) return;
    if (self.maybeUpdate(this.log.stableLastIndex())) this.maybeCommit();
  }

  /** Commits the highest index a quorum of voters holds, if it is of our term. */
  private maybeCommit(): boolean {
    const voters = this.conf().voters;
    // Called for every append response and own write: the scratch array and the in-place sort
    // allocate nothing (Array.prototype.sort allocates its work state on every call).
    const matches = this.matchScratch;
    matches.length = 0;
    for (const v of voters) matches.push(this.progress.get(v)?.match ?? 0);
    sortDescending(matches);
    const quorumIndex = logIndex(matches[quorumSize(voters.length) - 1] ?? 0);
    if (quorumIndex <= this.log.committed) return false;
    if (
      this.log.term(quorumIndex) !== this.term &&
      this.config.testingBugs?.commitPreviousTermByCounting !== true
    ) {
      return false;
    }
    this.log.commitTo(quorumIndex);
    this.onLeaderCommit();
    return true;
  }

  private onLeaderCommit(): void {
    const committed = this.log.committed;
    while (
      this.uncommittedHead < this.uncommitted.length &&
      this.uncommitted[this.uncommittedHead]!.index <= committed
    ) {
      this.uncommittedBytes -= this.uncommitted[this.uncommittedHead]!.bytes;
      this.uncommittedHead++;
    }
    if (this.uncommittedHead > 1024 && this.uncommittedHead * 2 > this.uncommitted.length) {
      this.uncommitted = this.uncommitted.slice(this.uncommittedHead);
      this.uncommittedHead = 0;
    }
    if (this.pendingReads.length > 0 && this.log.termOrZero(committed) === this.term) {
      const reads = this.pendingReads;
      this.pendingReads = [];
      for (const requestId of reads) this.startRead(requestId);
    }
    // A leader removed from the voters leads until the removal commits, then steps down.
    if (!isVoter(this.conf(), this.id) && this.latestConfPoint().index <= committed) {
      // No tick of ours will send the commit notice: the others learn the removal now.
      this.sendCommitNotices(true);
      this.becomeFollower(this.term, null);
    }
  }

  private flushBroadcast(): void {
    if (this.role !== 'leader' || !this.pendingBroadcast) return;
    this.pendingBroadcast = false;
    for (const id of this.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, false);
  }

  /**
   * Commit notices (appends that carry nothing but a newer commit index) leave on the leader's
   * next tick, not when the commit index moves. Every real append carries the commit index, so
   * while writes keep coming followers learn it for free; an immediate notice would cost each
   * write one more message and reply per follower, and one more Ready on each follower, just as
   * the next write arrives — with one client writing in sequence that was a fifth of the cluster's
   * CPU per write. When the log goes quiet, followers apply at most one tick behind the leader.
   * Only followers with nothing in flight get one (the next append carries it), unless this
   * leader is about to step down.
   */
  private sendCommitNotices(evenIfInFlight = false): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      if (pr.sentCommit < this.log.committed && (evenIfInFlight || pr.inflights.count === 0)) {
        this.maybeSendAppend(id, true);
      }
    }
  }

  /** Sends the next append (or a snapshot) to `to` if its progress allows. Returns whether it sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    // Entries it would refuse, resent every heartbeat while we export a snapshot, cost bandwidth.
    if (pr.wantsSnapshot) return this.sendSnapshot(to, pr);
    const prevIndex = logIndex(pr.next - 1);
    const prevTerm = this.log.term(prevIndex);
    const entries =
      prevTerm === null ? null : this.log.entriesFrom(pr.next, this.config.maxMessageBytes);
    if (prevTerm === null || entries === null) return this.sendSnapshot(to, pr);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(
      {
        type: 'append',
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries,
        commit: this.log.committed,
      },
      false,
    );
    const last = entries[entries.length - 1];
    pr.sentEntries(last ? last.index : prevIndex, entries.length);
    pr.sentCommit = this.log.committed;
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (pr.wantsSnapshot && pr.snapshotAtLeast === 0) {
      // It may have helped commit entries it no longer holds, under any earlier leader; all of
      // them are at or below our commit index only once we committed an entry of our own term.
      // Fixed once, so that a busy log does not outrun every export made for it.
      if (this.log.termOrZero(this.log.committed) !== this.term) return false;
      pr.snapshotAtLeast = this.log.committed;
    }
    let snapshot;
    try {
      snapshot = this.log.storage.snapshot(pr.wantsSnapshot ? pr.snapshotAtLeast : undefined);
    } catch (error) {
      // The host is still producing it; the next heartbeat response retries.
      if (error instanceof SnapshotTemporarilyUnavailableError) return false;
      throw error;
    }
    if (snapshot.meta.index === 0) {
      // Nothing beyond the bootstrap to send yet (only a node with no base asks for a snapshot of
      // an uncompacted log): the host exports one on demand or compacts later; heartbeats retry.
      assert(this.log.firstIndex() === 1, 'the log is compacted but storage holds no snapshot');
      return false;
    }
    if (pr.wantsSnapshot && snapshot.meta.index < pr.snapshotAtLeast) return false;
    pr.becomeSnapshot(snapshot.meta.index);
    this.send({ type: 'snapshot', to, snapshot }, false);
    return true;
  }

  /**
   * Snapshot progress waits for reportSnapshot. If the host never reports (the message was lost
   * without the transport noticing), give up after a full election timeout in that state.
   */
  private sweepStaleSnapshots(): void {
    for (const pr of this.progress.values()) {
      if (pr.state !== 'snapshot') continue;
      if (pr.snapshotStale) pr.becomeProbe();
      else pr.snapshotStale = true;
    }
  }

  private broadcastHeartbeat(context: Uint8Array): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower a commit index beyond what it is known to hold.
      const commit = logIndex(Math.min(pr.match, this.log.committed));
      this.send({ type: 'heartbeat', to: id, commit, context }, false);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', to }, false);
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = null;
  }

  // --- ReadIndex ---------------------------------------------------------------------------------

  private startRead(requestId: string): void {
    const index = this.log.committed;
    const voters = this.conf().voters;
    if (voters.length === 1 && voters[0] === this.id) {
      this.readStates.push({ requestId, index });
      return;
    }
    const context = this.readOnly.add(requestId, index);
    if (context) this.broadcastHeartbeat(context);
  }

  private hasQuorum(acks: ReadonlySet<NodeId>): boolean {
    const voters = this.conf().voters;
    let count = 0;
    for (const v of voters) if (v === this.id || acks.has(v)) count++;
    return count >= quorumSize(voters.length);
  }

  // --- Elections ---------------------------------------------------------------------------------

  private hup(kind: CampaignKind): void {
    if (this.role === 'leader' || !this.promotable()) return;
    this.campaign_(kind);
  }

  private campaign_(kind: CampaignKind): void {
    let voteTerm: Term;
    let type: MessageType;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      voteTerm = toTerm(this.term + 1);
      type = 'preVote';
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
      type = 'vote';
    }
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'preElection') this.campaign_('election');
      else this.becomeLeader();
      return;
    }
    const context = kind === 'transfer' ? TRANSFER_CONTEXT : EMPTY_BYTES;
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const voter of this.conf().voters) {
      if (voter === this.id) continue;
      // A vote request follows our own durable vote for ourselves; a pre-vote promises nothing.
      this.send({ type, to: voter, term: voteTerm, index, logTerm, context }, type === 'vote');
    }
  }

  private poll(from: NodeId, granted: boolean): PollResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    const voters = this.conf().voters;
    const quorum = quorumSize(voters.length);
    let yes = 0;
    let no = 0;
    for (const v of voters) {
      const vote = this.votes.get(v);
      if (vote === true) yes++;
      else if (vote === false) no++;
    }
    if (yes >= quorum) return 'won';
    if (no > voters.length - quorum) return 'lost';
    return 'pending';
  }

  /**
   * A voter of its latest configuration campaigns; so does one that only an uncommitted entry
   * removes. Such a node may hold the longest log — a leader that appended its own removal and
   * crashed before committing it — and then no one else can win: it refuses them, and, if it
   * never campaigned, the cluster would wait for a node that will not come. It counts the votes
   * of the latest configuration only (its own not among them); as leader it commits the removal
   * and steps down.
   */
  private promotable(): boolean {
    if (this.log.unstableSnapshot) return false;
    if (isVoter(this.conf(), this.id)) return true;
    const committed = this.committedConfPoint();
    return committed !== this.latestConfPoint() && isVoter(committed.conf, this.id);
  }

  /** The newest configuration whose entry is committed. */
  private committedConfPoint(): ConfPoint {
    for (let i = this.confHistory.length - 1; i > 0; i--) {
      if (this.confHistory[i]!.index <= this.log.committed) return this.confHistory[i]!;
    }
    return this.confHistory[0]!;
  }

  private inLease(): boolean {
    if (!(this.config.checkQuorum || this.config.preVote) || this.lead === null) return false;
    return this.role === 'leader' || this.leaderContactElapsed < this.leaseTicks;
  }

  private quorumActive(): boolean {
    const voters = this.conf().voters;
    let active = 0;
    for (const v of voters) {
      if (v === this.id || this.progress.get(v)?.recentActive === true) active++;
    }
    return active >= quorumSize(voters.length);
  }

  // --- Membership --------------------------------------------------------------------------------

  private conf(): ConfState {
    return this.latestConfPoint().conf;
  }

  private latestConfPoint(): ConfPoint {
    return this.confHistory[this.confHistory.length - 1]!;
  }

  /** New entries were appended (after truncating anything from entries[0].index on). */
  private onAppended(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const from = entries[0]!.index;
    let changed = false;
    while (this.confHistory.length > 1 && this.latestConfPoint().index >= from) {
      this.confHistory.pop();
      changed = true;
    }
    for (const entry of entries) {
      if (entry.kind !== 'config') continue;
      this.confHistory.push({
        index: entry.index,
        conf: applyConfChangeEntry(this.conf(), entry.data),
      });
      changed = true;
    }
    if (changed) this.onConfChanged();
  }

  private onConfChanged(): void {
    if (this.role !== 'leader') return;
    this.syncProgress();
    if (this.leadTransferee !== null && !isVoter(this.conf(), this.leadTransferee))
      this.abortLeaderTransfer();
    this.maybeCommit();
  }

  /** Makes the leader's progress map match the membership: new members probe from our log end. */
  private syncProgress(): void {
    const conf = this.conf();
    const next = logIndex(this.log.lastIndex() + 1);
    for (const id of this.progress.keys()) {
      if (!isMember(conf, id)) this.progress.delete(id);
    }
    const ensure = (id: NodeId, learner: boolean): void => {
      const pr = this.progress.get(id);
      if (pr) pr.learner = learner;
      else this.progress.set(id, new Progress(next, this.config.maxInflightMessages, learner));
    };
    for (const id of conf.voters) ensure(id, false);
    for (const id of conf.learners) ensure(id, true);
  }

  /** Only the newest committed point is needed below the uncommitted ones (truncation stops at commit). */
  private pruneConfHistory(): void {
    let drop = 0;
    while (
      drop + 1 < this.confHistory.length &&
      this.confHistory[drop + 1]!.index <= this.log.committed
    )
      drop++;
    if (drop > 0) this.confHistory.splice(0, drop);
  }

  /** On restart: the membership is the snapshot's plus every change in the stored log after it. */
  private replayStoredConfChanges(snapshotIndex: LogIndex): void {
    const storage = this.log.storage;
    const lo = logIndex(Math.max(snapshotIndex + 1, storage.firstIndex()));
    const hi = logIndex(storage.lastIndex() + 1);
    if (lo >= hi) return;
    for (const entry of storage.entries(lo, hi, Number.MAX_SAFE_INTEGER)) {
      if (entry.kind === 'config') {
        this.confHistory.push({
          index: entry.index,
          conf: applyConfChangeEntry(this.conf(), entry.data),
        });
      }
    }
  }

  // --- Helpers -----------------------------------------------------------------------------------

  private requireLeader(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.lead);
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private hardStateChanged(): boolean {
    const prev = this.prevHardState;
    return prev.term !== this.term || prev.vote !== this.vote || prev.commit !== this.log.committed;
  }

  private softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  private send(
    fields: Partial<Message> & { readonly type: MessageType; readonly to: NodeId },
    afterPersist: boolean,
  ): void {
    assert(fields.to !== this.id, 'a node never sends a message to itself');
    const m: Message = {
      from: this.id,
      term: this.term,
      logTerm: TERM_ZERO,
      index: INDEX_ZERO,
      entries: NO_ENTRIES,
      commit: INDEX_ZERO,
      reject: false,
      rejectHint: INDEX_ZERO,
      snapshot: null,
      context: EMPTY_BYTES,
      ...fields,
    };
    if (afterPersist) this.msgsAfterPersist.push(m);
    else this.msgs.push(m);
  }
}

/**
 * Drops messages that would corrupt the log if believed (the transport decodes them from the
 * network): appended entries must follow the append's previous index one by one.
 */
function wellFormed(m: Message): boolean {
  if (m.type === 'append') {
    for (let k = 0; k < m.entries.length; k++) {
      if (m.entries[k]!.index !== m.index + k + 1) return false;
    }
  }
  if (m.type === 'snapshot' && m.snapshot === null) return false;
  return true;
}

/**
 * Largest first, in place. Insertion sort allocates nothing and voter sets are small; a large one
 * (quadratic here) takes the built-in sort.
 */
function sortDescending(values: number[]): void {
  if (values.length > 32) {
    values.sort((a, b) => b - a);
    return;
  }
  for (let i = 1; i < values.length; i++) {
    const value = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! < value) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = value;
  }
}

function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

function storageSnapshotIndex(config: RaftConfig): LogIndex {
  try {
    return config.storage.snapshot().meta.index;
  } catch (error) {
    // Without the snapshot's index, replay from the first stored entry: config entries the
    // snapshot already covers re-apply as no-ops or reach the same membership.
    if (error instanceof SnapshotTemporarilyUnavailableError)
      return logIndex(config.storage.firstIndex() - 1);
    throw error;
  }
}

function validateConfig(config: RaftConfig): void {
  assert(
    Number.isInteger(config.heartbeatTicks) && config.heartbeatTicks >= 1,
    'heartbeatTicks must be >= 1',
  );
  assert(
    Number.isInteger(config.electionTicks) && config.electionTicks > config.heartbeatTicks,
    'electionTicks must be greater than heartbeatTicks',
  );
  assert(config.maxMessageBytes > 0, 'maxMessageBytes must be positive');
  assert(
    Number.isInteger(config.maxInflightMessages) && config.maxInflightMessages >= 1,
    'maxInflightMessages must be >= 1',
  );
  assert(config.maxUncommittedBytes > 0, 'maxUncommittedBytes must be positive');
  assert(config.maxCommittedBytesPerReady > 0, 'maxCommittedBytesPerReady must be positive');
}
