/**
 * The data the Raft core exchanges with its host. Everything here is plain data: the host
 * (src/replica in production, src/sim in simulation) persists it, sends it and applies it.
 *
 * The shape follows etcd-io/raft: a `RaftNode` is stepped with messages, ticked for time, and
 * hands back a `Ready` of work; the host does the work in order (persist, send, apply) and calls
 * `advance(ready)`.
 */
import type { LogIndex, NodeId, Rng, Term } from '../lib/index.ts';

/** `normal` carries a state-machine command; `noop` is a new leader's first entry; `config` a membership change. */
export type EntryKind = 'normal' | 'noop' | 'config';

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly kind: EntryKind;
  /** For `normal`: the command. For `config`: an encoded `ConfChange` (see encodeConfChange). For `noop`: empty. */
  readonly data: Uint8Array;
}

/** What must be durable before a node speaks (DESIGN.md rule 2). */
export interface HardState {
  readonly term: Term;
  /** The candidate voted for in `term`, or null. */
  readonly vote: NodeId | null;
  /** Highest index known committed. Persisting it is an optimisation, not a safety need. */
  readonly commit: LogIndex;
}

/** Cluster membership. Voters count towards quorums; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * One membership change at a time (Raft dissertation §4.1, single-server changes):
 * - `addLearner`: a new node receives the log without voting;
 * - `promote`: an existing learner becomes a voter (the host promotes once it has caught up);
 * - `addVoter`: add directly as a voter (only for bootstrap and tests; prefer learner+promote);
 * - `remove`: the node leaves (voter or learner);
 * - `forceSoleVoter`: the node becomes the only member. Never proposed: only the offline
 *   recovery of a cluster that lost its quorum for good writes it (`baton force-new-cluster`,
 *   src/storage/force-new-cluster.ts), as the last entry of the one surviving node's log.
 */
export interface ConfChange {
  readonly type: 'addLearner' | 'promote' | 'addVoter' | 'remove' | 'forceSoleVoter';
  readonly node: NodeId;
}

export interface SnapshotMeta {
  /** The last log index the snapshot covers. */
  readonly index: LogIndex;
  readonly term: Term;
  /** Membership as of `index`. */
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The state machine's serialized state as of `meta.index`. Opaque to the core. */
  readonly data: Uint8Array;
}

export type MessageType =
  | 'preVote'
  | 'preVoteResponse'
  | 'vote'
  | 'voteResponse'
  | 'append'
  | 'appendResponse'
  | 'heartbeat'
  | 'heartbeatResponse'
  | 'snapshot'
  | 'timeoutNow';

/**
 * One flat message shape for every type (as etcd's raftpb.Message), which maps directly to the
 * peer protobuf. Fields a type does not use are zero/empty. Per type:
 * - preVote/vote: `term` (for preVote: the term the sender would campaign in), `index`/`logTerm`
 *   = sender's last log index/term, `context` non-empty when the vote is part of a leadership
 *   transfer (voters then ignore their leader lease).
 * - preVoteResponse/voteResponse: `reject`.
 * - append: `index`/`logTerm` = the entry preceding `entries`; `commit`.
 * - appendResponse: success → `index` = last index now matching the leader; reject → `index` =
 *   the rejected `index`, `rejectHint` = follower's suggestion where to retry, `logTerm` = the
 *   term of the follower's entry at `rejectHint` (fast conflict backtracking).
 * - heartbeat: `commit` (capped at the follower's known match), `context` = ReadIndex round id.
 * - heartbeatResponse: `context` echoed.
 * - snapshot: `snapshot`.
 * - timeoutNow: leadership transfer — the receiver campaigns at once.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
  readonly logTerm: Term;
  readonly index: LogIndex;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
  readonly reject: boolean;
  readonly rejectHint: LogIndex;
  readonly snapshot: Snapshot | null;
  readonly context: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the host may want to observe (metrics, logs, leader hints). */
export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** A linearizable read may be served once the state machine has applied `index`. */
export interface ReadState {
  readonly requestId: string;
  readonly index: LogIndex;
}

/**
 * Work for the host. Handle it in this order, then call `advance(ready)`:
 * 1. `messages` may be sent at once, in parallel with step 2 (the leader's appends: the leader
 *    counts itself towards a quorum only after `advance` reports its own entries durable).
 * 2. Persist durably (fsync): `snapshot` (if any), then `entries` (first delete any stored entry
 *    with index >= entries[0].index — a conflicting suffix), then `hardState` (if any).
 * 3. Only then send `messagesAfterPersist` (votes, responses: they promise durable state).
 * 4. Install `snapshot` into the state machine (if any), then apply `committedEntries` in order.
 * 5. Serve `readStates` once the state machine has applied their index.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

export interface InitialState {
  readonly hardState: HardState;
  /** Membership as of the storage's snapshot (or the bootstrap membership when there is none). */
  readonly conf: ConfState;
}

/**
 * The core's read-only view of durable state. The host writes through its own implementation
 * (MemoryStorage, LevelStorage) after persisting a `Ready`; the core only reads.
 *
 * Reads are synchronous: implementations keep the uncompacted tail of the log in memory, which
 * compaction bounds (the replica snapshots every N entries or M bytes).
 *
 * Indexes: entries exist for firstIndex() <= i <= lastIndex(). The entry at firstIndex()-1 is
 * the snapshot's last entry; its term is still answered by term().
 */
export interface RaftStorage {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at least one even if it alone exceeds `maxBytes`, then as many more
   * as fit within `maxBytes` in total. Throws CompactedError if lo < firstIndex(),
   * UnavailableError if hi > lastIndex() + 1.
   */
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[];
  /** Term of the entry at `index`, for firstIndex()-1 <= index <= lastIndex(). Throws CompactedError / UnavailableError outside. */
  term(index: LogIndex): Term;
  firstIndex(): LogIndex;
  lastIndex(): LogIndex;
  /**
   * The latest snapshot (its data may be produced on demand). Throws
   * SnapshotTemporarilyUnavailableError when it cannot be had right now. With `atLeast`, the
   * caller needs one at or past that index (for a node that lost its disk, see Progress
   * restartFromSnapshot): storage that can export on demand makes a fresh one rather than hand
   * out an older one; storage that cannot returns what it has and the core waits.
   */
  snapshot(atLeast?: LogIndex): Snapshot;
}

/** Deliberate bugs, for showing that the simulator's checker catches them. Never set in production. */
export interface RaftTestingBugs {
  /** Commit an entry of an earlier term by counting replicas (violates Raft §5.4.2). */
  readonly commitPreviousTermByCounting?: boolean;
  /** Grant votes without checking that the candidate's log is at least as up to date. */
  readonly voteWithoutLogCheck?: boolean;
  /** Send vote responses before the vote is persisted (the vote is lost in a crash). */
  readonly replyBeforePersistingVote?: boolean;
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: RaftStorage;
  /** Randomness for election timeouts. Seeded in the simulator. */
  readonly rng: Rng;
  /** Leader sends heartbeats every this many ticks. */
  readonly heartbeatTicks: number;
  /**
   * Base election timeout. Each follower draws its timeout uniformly from
   * [electionTicks, 2 * electionTicks), so the host should make a tick small (a few ms) for the
   * draw to be fine-grained: split votes are the tail of failover time.
   */
  readonly electionTicks: number;
  /** The last index the host's state machine has applied (on restart). */
  readonly applied: LogIndex;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Most bytes of entries in one append message. */
  readonly maxMessageBytes: number;
  /** Most append messages in flight to one follower in replicate state (the pipeline window). */
  readonly maxInflightMessages: number;
  /** Past this many bytes of uncommitted entries the leader refuses proposals (etcd's MaxUncommittedEntriesSize). */
  readonly maxUncommittedBytes: number;
  /** Most bytes of committed entries handed out in one Ready. */
  readonly maxCommittedBytesPerReady: number;
  readonly testingBugs?: RaftTestingBugs;
}

/** Per-peer replication progress, as seen by the leader. */
export interface PeerProgress {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: 'probe' | 'replicate' | 'snapshot';
  readonly inflight: number;
  readonly recentActive: boolean;
  readonly learner: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly conf: ConfState;
  /** Present only on the leader. */
  readonly progress: ReadonlyMap<NodeId, PeerProgress> | null;
  readonly leadTransferee: NodeId | null;
}

/** Returned by propose: the place the entry took in the leader's log. The proposal succeeded only if the entry committed at that index is of that term. */
export interface ProposalPosition {
  readonly index: LogIndex;
  readonly term: Term;
}

/** What `RaftLogStore.save` makes durable, in one atomic, fsynced write. */
export interface PersistUpdate {
  /** A snapshot received from the leader: replaces every entry it covers (and a conflicting log). */
  readonly snapshot?: Snapshot | null;
  /** New entries; any stored entry with index >= entries[0].index is deleted first. */
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState | null;
}

/**
 * The host's read-write log store: the core reads through `RaftStorage`, the host writes after
 * each `Ready`. Implementations: MemoryStorage (src/raft) and LevelStorage (src/storage). Both pass
 * src/raft/testing/storage-contract.ts.
 */
export interface RaftLogStore extends RaftStorage {
  /** Durable (fsynced) when the promise resolves; reads reflect the update from then on. */
  save(update: PersistUpdate): Promise<void>;
  /**
   * Records a snapshot the host made of its own state machine at `snapshot.meta.index`
   * (<= applied index) and drops the log entries it covers, keeping `retainEntries` entries before
   * it so slightly lagging followers can still catch up from the log.
   */
  saveLocalSnapshot(snapshot: Snapshot, retainEntries: number): Promise<void>;
}
