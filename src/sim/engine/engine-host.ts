import { assert } from '../../lib/index.ts';
import type { LogIndex, NodeId, Rng, Term } from '../../lib/index.ts';
import type { StateMachine } from '../../lib/index.ts';
import type { EngineResult } from '../../engine/index.ts';
import { MemoryStorage, RaftNode } from '../raft.ts';
import type { ConfState, Entry, Message, RaftConfig, Ready, Snapshot } from '../raft.ts';
import { DurableState, Overlay } from './state-store.ts';
import { compactionDue, compactionPhase } from '../../replica/compaction-schedule.ts';

/** A Ready loop that never drains means a core bug; this bounds it. */
const MAX_READY_ROUNDS_PER_STEP = 1_000;

/** One unit of the apply pipeline, in log order: a committed entry or a leader's snapshot. */
type ApplyJob =
  | { readonly kind: 'entry'; readonly entry: Entry }
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot };

export interface ApplyKnobs {
  /** Entries one apply run takes into its overlay before committing it. */
  readonly maxEntriesPerRun: number;
  /** Longest wait before a run starts and between applying a run and committing it, in units. */
  readonly applyDelayMaxUnits: number;
  readonly commitDelayMaxUnits: number;
  readonly snapshotEveryEntries: number;
  readonly snapshotRetainEntries: number;
}

/** What an engine host needs from the world around it. */
export interface EngineHostEnvironment {
  now(): number;
  send(message: Message): void;
  /** Runs `run` after `delayUnits`; the world awaits it before the next event. */
  at(delayUnits: number, label: string, run: () => void | Promise<void>): void;
  raftConfig(id: NodeId, storage: MemoryStorage, applied: LogIndex, rng: Rng): RaftConfig;
  nodeRng(): Rng;
  readonly rng: Rng;
  readonly knobs: ApplyKnobs;
  readonly observer: ApplyObserver;
  /** A fault: crash after applying a run into the overlay, before committing it. */
  crashBeforeCommit(host: EngineHost): boolean;
  /** A fresh engine per incarnation (its caches die with the process). */
  makeEngine(host: EngineHost): StateMachine<EngineResult>;
  readonly counters: HostCounters;
}

/** What the hosts did, for the summary: proof that the crash and snapshot paths ran. */
export interface HostCounters {
  runsCommitted: number;
  /** Apply runs whose overlay a crash dropped before it was committed (re-applied after restart). */
  runsLostInCrash: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  restoredOnRestart: number;
}

export function emptyHostCounters(): HostCounters {
  return {
    runsCommitted: 0,
    runsLostInCrash: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    restoredOnRestart: 0,
  };
}

/** The checker and the client side see every apply, commit, restore and resolved proposal. */
export interface ApplyObserver {
  onApplied(host: EngineHost, entry: Entry, result: EngineResult | null, stateHash: string): void;
  /** The engine wrote something while rejecting a command, or changed the state hash. */
  onRejectionWrote(host: EngineHost, entry: Entry, detail: string): void;
  onCommitted(host: EngineHost): void | Promise<void>;
  onRestored(host: EngineHost, why: 'snapshot' | 'restart'): void;
  onProposalResolved(token: number, outcome: ProposalOutcome): void;
  note(text: string): void;
}

export type ProposalOutcome =
  | { readonly ok: true; readonly result: EngineResult; readonly index: LogIndex }
  | { readonly ok: false; readonly why: string };

interface PendingProposal {
  readonly token: number;
  readonly term: Term;
}

/**
 * One simulated replica running the workflow engine. Durable across crashes: the Raft storage and
 * the engine state with its applied index (DurableState). Lost in a crash: the RaftNode, the apply
 * queue, the uncommitted overlay of the run in progress, the plan cache, pending proposals.
 *
 * The apply path is asynchronous but strictly ordered: committed entries queue up; one run at a
 * time takes up to `maxEntriesPerRun` of them, awaits `engine.apply` for each into an overlay,
 * and, a disk write later, commits the overlay and the run's last index together.
 */
export class EngineHost {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly durable = new DurableState();
  node: RaftNode | null = null;
  engine: StateMachine<EngineResult>;
  incarnation = 0;
  /** This node's clock runs this far off the true time (leaders stamp commands with it). */
  clockOffsetMs = 0;
  leaderTerm = 0;
  private readonly conf: ConfState;
  private readonly env: EngineHostEnvironment;
  private readonly queue: ApplyJob[] = [];
  private running = false;
  private readonly proposals = new Map<number, PendingProposal>();

  constructor(id: NodeId, bootstrap: ConfState, env: EngineHostEnvironment) {
    this.id = id;
    this.conf = bootstrap;
    this.env = env;
    this.storage = new MemoryStorage(bootstrap);
    this.engine = env.makeEngine(this);
  }

  get alive(): boolean {
    return this.node !== null;
  }

  get isLeader(): boolean {
    return this.node?.status().role === 'leader';
  }

  /** Entries committed to this node and not yet durably applied (plus any run in progress). */
  get applyBacklog(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  start(): void {
    assert(this.node === null, () => `${this.id} is already running`);
    this.incarnation++;
    this.engine = this.env.makeEngine(this);
    // A leader's snapshot persisted but not installed before the crash (src/raft/index.ts).
    const stored = this.storage.snapshot();
    if (stored.meta.index > this.durable.applied) {
      this.durable.restore(stored.data, stored.meta.index, stored.meta.term);
      this.env.counters.restoredOnRestart++;
      this.env.observer.onRestored(this, 'restart');
    }
    this.node = new RaftNode(
      this.env.raftConfig(this.id, this.storage, this.durable.applied, this.env.nodeRng()),
    );
    this.env.observer.note(
      `${this.id} start (incarnation ${this.incarnation}, applied ${this.durable.applied})`,
    );
  }

  crash(why: string): void {
    if (this.node === null) return;
    this.node = null;
    if (this.running) this.env.counters.runsLostInCrash++;
    this.queue.length = 0;
    this.running = false;
    this.leaderTerm = 0;
    for (const proposal of this.proposals.values()) {
      this.env.observer.onProposalResolved(proposal.token, {
        ok: false,
        why: `${this.id} crashed`,
      });
    }
    this.proposals.clear();
    this.env.observer.note(`${this.id} CRASH (${why}); durable applied ${this.durable.applied}`);
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

  /** Proposes a command; throws the core's errors (NotLeaderError …). Resolved through the observer. */
  propose(data: Uint8Array, token: number): void {
    assert(this.node !== null, () => `${this.id} is down`);
    const position = this.node.propose(data);
    this.proposals.set(position.index, { token, term: position.term });
    this.processReady();
  }

  processReady(): void {
    for (let round = 0; this.node?.hasReady() === true; round++) {
      assert(round < MAX_READY_ROUNDS_PER_STEP, () => `${this.id}: the core keeps producing Ready`);
      this.handleReady(this.node, this.node.ready());
    }
  }

  private handleReady(node: RaftNode, ready: Ready): void {
    if (ready.softState !== null) {
      this.env.observer.note(
        `${this.id} ${ready.softState.role} (leader ${ready.softState.leader ?? '-'})`,
      );
      if (ready.softState.role !== 'leader') this.leaderTerm = 0;
    }
    for (const message of ready.messages) this.env.send(message);
    this.storage.saveSync({
      snapshot: ready.snapshot,
      entries: ready.entries,
      hardState: ready.hardState,
    });
    this.failOverwrittenProposals(ready);
    for (const message of ready.messagesAfterPersist) this.env.send(message);
    if (ready.snapshot !== null) this.queue.push({ kind: 'snapshot', snapshot: ready.snapshot });
    for (const entry of ready.committedEntries) this.queue.push({ kind: 'entry', entry });
    node.advance(ready);
    if (node.status().role === 'leader') this.leaderTerm = node.status().term;
    this.scheduleRun();
  }

  private scheduleRun(): void {
    if (this.running || this.queue.length === 0 || this.node === null) return;
    this.running = true;
    const incarnation = this.incarnation;
    this.env.at(
      this.env.rng.int(0, this.env.knobs.applyDelayMaxUnits + 1),
      `apply ${this.id}`,
      () => (incarnation === this.incarnation && this.node !== null ? this.runOnce() : undefined),
    );
  }

  private async runOnce(): Promise<void> {
    const first = this.queue[0];
    assert(first !== undefined, 'an apply run with nothing queued');
    if (first.kind === 'snapshot') {
      this.queue.shift();
      if (this.env.crashBeforeCommit(this)) return;
      this.afterDiskWrite(() => {
        this.installSnapshot(first.snapshot);
        return [];
      });
      return;
    }
    const overlay = new Overlay(this.durable);
    const applied: Array<{ entry: Entry; result: EngineResult | null }> = [];
    let next = this.durable.applied + 1;
    while (applied.length < this.env.knobs.maxEntriesPerRun && this.queue[0]?.kind === 'entry') {
      const { entry } = this.queue.shift() as { kind: 'entry'; entry: Entry };
      assert(
        entry.index === next,
        () => `${this.id}: entry ${entry.index} handed out for apply after ${next - 1}`,
      );
      next++;
      applied.push({ entry, result: await this.applyEntry(entry, overlay) });
    }
    const last = applied[applied.length - 1]!.entry;
    if (this.env.crashBeforeCommit(this)) return;
    this.afterDiskWrite(() => {
      this.durable.commit(overlay.writes, last.index, last.term);
      return applied;
    });
  }

  private async applyEntry(entry: Entry, overlay: Overlay): Promise<EngineResult | null> {
    if (entry.kind !== 'normal') {
      this.env.observer.onApplied(this, entry, null, overlay.hash.value);
      return null;
    }
    const hashBefore = overlay.hash.value;
    overlay.writeCount = 0;
    const result = await this.engine.apply(
      entry.data,
      { index: entry.index, term: entry.term },
      overlay,
    );
    if (!result.ok && (overlay.writeCount > 0 || overlay.hash.value !== hashBefore)) {
      this.env.observer.onRejectionWrote(
        this,
        entry,
        `${result.code} made ${overlay.writeCount} writes; state hash ${hashBefore} -> ${overlay.hash.value}`,
      );
    }
    this.env.observer.onApplied(this, entry, result, overlay.hash.value);
    return result;
  }

  /** The commit (one atomic write) lands a little later; a crash before then loses the run. */
  private afterDiskWrite(
    commit: () => ReadonlyArray<{ entry: Entry; result: EngineResult | null }>,
  ): void {
    const incarnation = this.incarnation;
    this.env.at(
      this.env.rng.int(1, this.env.knobs.commitDelayMaxUnits + 1),
      `commit ${this.id}`,
      async () => {
        if (incarnation !== this.incarnation || this.node === null) return;
        const applied = commit();
        this.running = false;
        this.env.counters.runsCommitted++;
        for (const { entry, result } of applied) this.resolveProposal(entry, result);
        await this.env.observer.onCommitted(this);
        await this.maybeSnapshot();
        this.scheduleRun();
      },
    );
  }

  private installSnapshot(snapshot: Snapshot): void {
    assert(
      snapshot.meta.index > this.durable.applied,
      () =>
        `${this.id} was handed snapshot ${snapshot.meta.index} but has applied ${this.durable.applied}`,
    );
    this.durable.restore(snapshot.data, snapshot.meta.index, snapshot.meta.term);
    this.env.counters.snapshotsInstalled++;
    for (const [index, proposal] of this.proposals) {
      if (index > snapshot.meta.index) continue;
      this.proposals.delete(index);
      this.env.observer.onProposalResolved(proposal.token, {
        ok: false,
        why: 'covered by a snapshot: outcome unknown',
      });
    }
    this.env.observer.onRestored(this, 'snapshot');
  }

  private resolveProposal(entry: Entry, result: EngineResult | null): void {
    const proposal = this.proposals.get(entry.index);
    if (proposal === undefined) return;
    this.proposals.delete(entry.index);
    const outcome: ProposalOutcome =
      proposal.term === entry.term && result !== null
        ? { ok: true, result, index: entry.index }
        : { ok: false, why: `index ${entry.index} holds another entry (term ${entry.term})` };
    this.env.observer.onProposalResolved(proposal.token, outcome);
  }

  private failOverwrittenProposals(ready: Ready): void {
    if (ready.entries.length === 0 || this.proposals.size === 0) return;
    const first = ready.entries[0]!.index;
    for (const [index, proposal] of this.proposals) {
      if (index < first) continue;
      const replacement = ready.entries[index - first];
      if (replacement !== undefined && replacement.term === proposal.term) continue;
      this.proposals.delete(index);
      this.env.observer.onProposalResolved(proposal.token, {
        ok: false,
        why: `index ${index} was overwritten`,
      });
    }
  }

  private async maybeSnapshot(): Promise<void> {
    // The replica's schedule: members compact at phases of their own.
    const every = this.env.knobs.snapshotEveryEntries;
    const phase = compactionPhase(this.id, this.conf, every);
    if (!compactionDue(this.durable.applied, this.storage.snapshot().meta.index, every, phase))
      return;
    const snapshot: Snapshot = {
      meta: { index: this.durable.applied, term: this.durable.appliedTerm, conf: this.conf },
      data: await this.durable.encode(),
    };
    this.storage.saveLocalSnapshotSync(snapshot, this.env.knobs.snapshotRetainEntries);
    this.env.counters.snapshotsTaken++;
    this.env.observer.note(`${this.id} snapshot at ${snapshot.meta.index}`);
  }
}
