import { assert } from '../lib/index.ts';
import type { LogIndex, NodeId, Rng, Term } from '../lib/index.ts';
import { chooseSnapshot, MemoryStorage, RaftNode } from './raft.ts';
import type {
  ConfState,
  Message,
  RaftConfig,
  RaftStatus,
  RaftStorage,
  Ready,
  Role,
} from './raft.ts';
import type { Checker } from './checker.ts';
import type { RunStats } from './stats.ts';
import { isMember, SimStateMachine } from './state-machine.ts';
import { compactionDue, compactionPhase } from '../replica/compaction-schedule.ts';
import type { Trace } from './trace.ts';

/** A Ready loop that never drains means a core bug; this bounds it. */
export const MAX_READY_ROUNDS_PER_STEP = 1_000;

export interface Proposal {
  readonly label: string;
  readonly index: LogIndex;
  readonly term: Term;
  readonly issuedAt: number;
}

export interface PendingRead {
  readonly requestId: string;
  readonly issuedAt: number;
  /** The newest acknowledged write when the read began: the read must see at least this. */
  readonly ackedIndexAtStart: number;
  index: LogIndex | null;
}

/** Deliberate host (not core) bugs, to show the read checker works. Never set outside tests. */
export interface HostBugs {
  /** Serve reads from the local state machine at once, skipping ReadIndex (a stale read). */
  readonly staleLocalReads?: boolean;
}

/** What a host needs from the cluster around it. */
export interface HostEnvironment {
  now(): number;
  send(message: Message): void;
  readonly checker: Checker;
  readonly stats: RunStats;
  readonly trace: Trace;
  /** A fault: crash between sending `messages` and persisting the Ready. */
  crashBeforePersist(host: NodeHost, ready: Ready): boolean;
  /** Build the core's configuration (timing, limits, testing bugs) for a (re)start. */
  raftConfig(id: NodeId, storage: RaftStorage, applied: LogIndex, rng: Rng): RaftConfig;
  nodeRng(): Rng;
  readonly snapshotEveryEntries: number;
  readonly snapshotRetainEntries: number;
  /** Async persistence: how many Readies may be in flight and how long a write takes. 0 = synchronous. */
  readonly persistence: { readonly maxInFlightReadies: number; readonly delayMaxUnits: number };
  readonly rng: Rng;
  readonly hostBugs: HostBugs;
  at(delayUnits: number, label: string, run: () => void): void;
  touch(host: NodeHost): void;
  onProposalResolved(proposal: Proposal, acknowledged: boolean): void;
  /** A config entry (or a snapshot's membership) at `index` was applied somewhere: it is committed. */
  onConfigApplied(index: number, conf: ConfState): void;
  /** `host` applied the committed entry that removes it. */
  onOwnRemovalApplied(host: NodeHost): void;
}

/**
 * One simulated replica: the durable part (storage, state machine) survives crashes; the
 * RaftNode and everything pending on it do not. Handles each Ready exactly as types.ts says:
 * send `messages`, persist, send `messagesAfterPersist`, install/apply, serve reads, advance.
 */
export class NodeHost {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly sm: SimStateMachine;
  node: RaftNode | null = null;
  incarnation = 0;
  /** Removed from the cluster and shut down for good. */
  removed = false;
  /**
   * Its removal is committed but it has not found out yet (profiles with
   * `removedRunUntilFoundOut`): it runs on, as a real node does until its own log or its
   * removal probe tells it.
   */
  removalPending = false;
  /** False from a start with no membership (a newcomer, a wiped disk) until a snapshot arrives. */
  hasBase: boolean;
  /** Ignores time and messages until then (a stop-the-world pause). */
  pausedUntil = 0;
  lastRole: Role = 'follower';
  lastTerm = 0;
  lastCommit = 0;
  private readonly env: HostEnvironment;
  private readonly proposals = new Map<number, Proposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readSequence = 0;
  private readonly inFlight: Ready[] = [];
  private lastPersistDoneAt = 0;
  private handlingReady = false;
  /** A leader term whose Leader Completeness check waits until this node's log is durable. */
  deferredLeaderCheck: number | null = null;

  constructor(id: NodeId, bootstrap: ConfState, env: HostEnvironment) {
    this.id = id;
    this.env = env;
    this.storage = new MemoryStorage(bootstrap);
    this.sm = new SimStateMachine(bootstrap);
    this.hasBase = bootstrap.voters.length + bootstrap.learners.length > 0;
  }

  get alive(): boolean {
    return this.node !== null;
  }

  start(): void {
    assert(this.node === null, () => `${this.id} is already running`);
    this.incarnation++;
    this.lastCommit = 0;
    // A snapshot persisted but not yet installed when the node crashed (index.ts: restart rule).
    const stored = this.storage.snapshot();
    if (stored.meta.index > this.sm.applied) {
      this.sm.restore(stored);
      this.env.checker.onSnapshotInstalled(this, stored);
    }
    this.lastRole = 'follower';
    const view = snapshotOnDemand(this.storage, this.sm);
    this.node = new RaftNode(
      this.env.raftConfig(this.id, view.storage, this.sm.applied, this.env.nodeRng()),
    );
    view.enable();
    this.env.trace.note(
      this.env.now(),
      `${this.id} start (incarnation ${this.incarnation}, applied ${this.sm.applied})`,
    );
  }

  crash(why: string): void {
    if (this.node === null) return;
    this.node = null;
    // Whatever was handed out for persistence and not yet durable is lost.
    this.inFlight.length = 0;
    this.deferredLeaderCheck = null;
    this.env.trace.note(this.env.now(), `${this.id} CRASH (${why})`);
    for (const proposal of this.proposals.values()) this.env.onProposalResolved(proposal, false);
    this.proposals.clear();
    this.env.stats.readsFailed += this.reads.size;
    this.reads.clear();
  }

  status(): RaftStatus {
    assert(this.node !== null, () => `${this.id} is down`);
    return this.node.status();
  }

  tick(): void {
    this.node?.tick();
    this.processReady();
  }

  deliver(message: Message): void {
    if (this.node === null) return;
    this.node.step(message);
    this.processReady();
  }

  /** Records a proposal the core accepted at `index`/`term`; resolved when that index applies. */
  trackProposal(label: string, index: LogIndex, term: Term): void {
    this.proposals.set(index, { label, index, term, issuedAt: this.env.now() });
  }

  get pendingProposals(): number {
    return this.proposals.size;
  }

  get pendingReads(): number {
    return this.reads.size;
  }

  /** Starts a ReadIndex read; returns false when the core refused it. */
  startRead(ackedIndexAtStart: number): boolean {
    if (this.node === null) return false;
    const requestId = `${this.id}.${this.incarnation}.${++this.readSequence}`;
    if (this.env.hostBugs.staleLocalReads === true) {
      // Deliberately broken host: answers from local state without ReadIndex.
      const read = {
        requestId,
        issuedAt: this.env.now(),
        ackedIndexAtStart,
        index: this.sm.applied,
      };
      this.env.checker.onReadServed(this, read);
      this.env.stats.readsServed++;
      return true;
    }
    try {
      this.node.readIndex(requestId);
    } catch {
      return false;
    }
    this.reads.set(requestId, {
      requestId,
      issuedAt: this.env.now(),
      ackedIndexAtStart,
      index: null,
    });
    this.processReady();
    return true;
  }

  /** A client gives up on reads older than `timeoutUnits` (the core may drop a read silently). */
  expireReads(timeoutUnits: number): void {
    const now = this.env.now();
    for (const [id, read] of this.reads) {
      if (now - read.issuedAt > timeoutUnits) {
        this.reads.delete(id);
        this.env.stats.readsFailed++;
      }
    }
  }

  /** Readies handed out and not yet durable (async persistence), oldest first. */
  get persisting(): number {
    return this.inFlight.length;
  }

  processReady(): void {
    // Re-entry (a callback from inside a Ready) would hand out the next Ready before this one
    // is applied and advanced: a host bug, not something the core must tolerate.
    assert(!this.handlingReady, () => `${this.id}: processReady re-entered while handling a Ready`);
    this.handlingReady = true;
    try {
      this.drainReady();
    } finally {
      this.handlingReady = false;
    }
    if (this.node !== null && this.inFlight.length === 0 && !this.node.hasReady()) {
      this.env.checker.onQuiescent(this);
    }
  }

  private drainReady(): void {
    const async = this.env.persistence.maxInFlightReadies > 0;
    for (let round = 0; this.node?.hasReady() === true; round++) {
      assert(round < MAX_READY_ROUNDS_PER_STEP, () => `${this.id}: the core keeps producing Ready`);
      if (async && this.inFlight.length >= this.env.persistence.maxInFlightReadies) break;
      const node = this.node;
      const ready = node.ready();
      if (!this.beginReady(ready)) return;
      if (async) {
        this.inFlight.push(ready);
        this.schedulePersist();
      } else {
        this.finishReady(node, ready);
      }
    }
  }

  /** Step 1 of the Ready contract: what may go out before anything is durable. */
  private beginReady(ready: Ready): boolean {
    const env = this.env;
    if (ready.softState !== null) {
      env.trace.note(
        env.now(),
        `${this.id} ${ready.softState.role} (leader ${ready.softState.leader ?? '-'})`,
      );
    }
    for (const message of ready.messages) env.send(message);
    if (env.crashBeforePersist(this, ready)) {
      this.crash('before persisting a Ready');
      return false;
    }
    return true;
  }

  /** Disk writes complete in order: each Ready becomes durable no earlier than the one before. */
  private schedulePersist(): void {
    const env = this.env;
    const incarnation = this.incarnation;
    const done = Math.max(
      this.lastPersistDoneAt,
      env.now() + env.rng.int(1, env.persistence.delayMaxUnits + 1),
    );
    this.lastPersistDoneAt = done;
    env.at(done - env.now(), `persist ${this.id}`, () => {
      if (this.incarnation !== incarnation || this.node === null) return;
      const ready = this.inFlight.shift();
      assert(ready !== undefined, () => `${this.id}: a persist completed with nothing in flight`);
      this.finishReady(this.node, ready);
      this.env.touch(this);
      this.processReady();
    });
  }

  /** Steps 2-5 of the Ready contract: persist, then speak, apply, serve reads, advance. */
  private finishReady(node: RaftNode, ready: Ready): void {
    const env = this.env;
    env.checker.beforePersist(this, ready);
    this.storage.saveSync({
      snapshot: ready.snapshot,
      entries: ready.entries,
      hardState: ready.hardState,
    });
    env.checker.afterPersist(this, ready);
    this.failTruncatedProposals(ready);
    for (const message of ready.messagesAfterPersist) env.send(message);
    if (ready.snapshot !== null) this.installSnapshot(ready);
    for (const entry of ready.committedEntries) {
      const confBefore = this.sm.conf;
      this.sm.apply(entry);
      env.checker.onApply(this, entry);
      this.resolveProposalAt(entry.index, entry.term);
      if (entry.kind !== 'config') continue;
      env.onConfigApplied(entry.index, this.sm.conf);
      // As the replica does: applying its own removal, a node stops (after this Ready).
      if (isMember(confBefore, this.id) && !isMember(this.sm.conf, this.id))
        env.onOwnRemovalApplied(this);
    }
    for (const readState of ready.readStates) {
      const read = this.reads.get(readState.requestId);
      if (read === undefined) continue;
      env.checker.onReadState(this, read, readState.index);
      read.index = readState.index;
    }
    if (this.reads.size > 0) this.serveReads();
    node.advance(ready);
    this.maybeSnapshot();
  }

  private installSnapshot(ready: Ready): void {
    const snapshot = ready.snapshot!;
    if (snapshot.meta.index <= this.sm.applied) {
      this.env.checker.fail(
        'Applied Monotonic',
        `${this.id} was handed snapshot ${snapshot.meta.index} but has applied ${this.sm.applied}`,
      );
    }
    this.sm.restore(snapshot);
    this.hasBase = true;
    this.env.stats.snapshotsInstalled++;
    this.env.checker.onSnapshotInstalled(this, snapshot);
    this.env.onConfigApplied(snapshot.meta.index, snapshot.meta.conf);
    // Whatever this node proposed is now inside an opaque snapshot or gone: outcome unknown.
    for (const proposal of this.proposals.values()) this.env.onProposalResolved(proposal, false);
    this.proposals.clear();
  }

  private failTruncatedProposals(ready: Ready): void {
    if (ready.entries.length === 0 || this.proposals.size === 0) return;
    const first = ready.entries[0]!.index;
    for (const [index, proposal] of this.proposals) {
      if (index < first) continue;
      const replacement = ready.entries[index - first];
      if (replacement !== undefined && replacement.term === proposal.term) continue;
      this.proposals.delete(index);
      this.env.onProposalResolved(proposal, false);
    }
  }

  private resolveProposalAt(index: LogIndex, entryTerm: Term): void {
    const proposal = this.proposals.get(index);
    if (proposal === undefined) return;
    this.proposals.delete(index);
    this.env.onProposalResolved(proposal, proposal.term === entryTerm);
  }

  private serveReads(): void {
    for (const [id, read] of this.reads) {
      if (read.index === null || read.index > this.sm.applied) continue;
      this.reads.delete(id);
      this.env.checker.onReadServed(this, read);
      this.env.stats.readsServed++;
    }
  }

  private maybeSnapshot(): void {
    // The replica's schedule: members compact at phases of their own.
    const every = this.env.snapshotEveryEntries;
    const phase = compactionPhase(this.id, this.sm.conf, every);
    if (!compactionDue(this.sm.applied, this.storage.snapshot().meta.index, every, phase)) return;
    this.storage.saveLocalSnapshotSync(this.sm.snapshot(), this.env.snapshotRetainEntries);
    this.env.stats.snapshotsTaken++;
  }
}

/**
 * The core's view of a host's storage. As the replica does (its snapshot source, set once it
 * runs), a node exports its state when the core needs a snapshot its storage does not hold — for
 * a node with no base, which takes nothing else: one at least as recent as the commit index when
 * it said so. Not while the core is being built: it reads the stored snapshot's index then.
 */
function snapshotOnDemand(
  storage: MemoryStorage,
  sm: SimStateMachine,
): { storage: RaftStorage; enable: () => void } {
  let enabled = false;
  return {
    storage: {
      initialState: () => storage.initialState(),
      entries: (lo, hi, maxBytes) => storage.entries(lo, hi, maxBytes),
      term: (index) => storage.term(index),
      firstIndex: () => storage.firstIndex(),
      lastIndex: () => storage.lastIndex(),
      // The same choice as the LevelDB store; the export is the state machine as applied (one
      // that has not applied far enough yet hands out the stored one, which the core refuses).
      snapshot: (atLeast) =>
        chooseSnapshot(
          storage.snapshot(),
          atLeast,
          enabled
            ? (minIndex) => (sm.applied >= minIndex ? sm.snapshot() : storage.snapshot())
            : null,
        ),
    },
    enable: () => {
      enabled = true;
    },
  };
}
