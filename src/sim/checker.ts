import { logIndex } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import type { Entry, Message, RaftStatus, Ready, Snapshot } from './raft.ts';
import { InvariantViolationError } from './errors.ts';
import type { NodeHost, PendingRead } from './node-host.ts';

interface LoggedEntry {
  readonly kind: Entry['kind'];
  readonly data: Uint8Array;
  /** Term of the entry before it, or -1 when that was compacted away on the node that wrote it. */
  readonly previousTerm: number;
  readonly firstWriter: NodeId;
}

/**
 * The safety checker. Hosts report what they persist, apply and serve; after every step the
 * cluster shows it the nodes that moved. Everything is incremental — no check rescans a whole
 * log per step — so it can run after every one of millions of steps.
 *
 * Knowledge it keeps about the history:
 * - `leaderOfTerm`: Election Safety over the whole run, not just the present.
 * - `written`: every (index, term) ever persisted with its content and predecessor's term. Two
 *   entries with the same index and term must be identical and follow the same term, which by
 *   induction is Log Matching.
 * - `appliedHash`/`committedTerm`: the hash chain after each applied index and the term of each
 *   committed entry (State Machine Safety, no lost acknowledged write).
 * - `commitTermBound[i]`: an upper bound on the term in which entry i was committed (the term of
 *   the first node seen with commit >= i); every leader of a later term must hold entry i
 *   (Leader Completeness).
 */
export class Checker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly grantedVote = new Map<string, NodeId>();
  private readonly written = new Map<string, LoggedEntry>();
  private readonly appliedHash: number[] = [];
  private readonly committedTerm: number[] = [];
  private readonly commitTermBound: number[] = [];
  private readonly leaders = new Map<NodeId, { host: NodeHost; term: number }>();
  private committedMax = 0;
  private acknowledgedMax = 0;
  elections = 0;

  get highestCommitted(): number {
    return this.committedMax;
  }

  get highestAcknowledged(): number {
    return this.acknowledgedMax;
  }

  fail(invariant: string, detail: string): never {
    throw new InvariantViolationError(invariant, detail);
  }

  /** Votes travel before or after persistence; either way one node grants one candidate per term. */
  onSend(message: Message): void {
    if (message.type !== 'voteResponse' || message.reject) return;
    const key = `${message.from}@${message.term}`;
    const earlier = this.grantedVote.get(key);
    if (earlier === undefined) {
      this.grantedVote.set(key, message.to);
    } else if (earlier !== message.to) {
      this.fail(
        'Vote Uniqueness',
        `${message.from} granted its term-${message.term} vote to ${earlier} and then to ${message.to}`,
      );
    }
  }

  beforePersist(host: NodeHost, ready: Ready): void {
    const hardState = ready.hardState;
    if (hardState === null) return;
    const durable = host.storage.initialState().hardState;
    if (hardState.term < durable.term) {
      this.fail(
        'Term Monotonic',
        `${host.id} persists term ${hardState.term} over durable term ${durable.term}`,
      );
    }
    if (
      hardState.term === durable.term &&
      durable.vote !== null &&
      hardState.vote !== durable.vote
    ) {
      this.fail(
        'Vote Uniqueness',
        `${host.id} changes its durable term-${durable.term} vote from ${durable.vote} to ${hardState.vote ?? 'none'}`,
      );
    }
    if (hardState.commit < durable.commit) {
      this.fail(
        'Commit Monotonic',
        `${host.id} persists commit ${hardState.commit} below durable ${durable.commit}`,
      );
    }
  }

  afterPersist(host: NodeHost, ready: Ready): void {
    const entries = ready.entries;
    if (entries.length === 0) return;
    let previousTerm = termOrUnknown(host, entries[0]!.index - 1);
    for (const entry of entries) {
      this.checkWritten(host, entry, previousTerm);
      previousTerm = entry.term;
    }
  }

  private checkWritten(host: NodeHost, entry: Entry, previousTerm: number): void {
    const key = `${entry.index}@${entry.term}`;
    const seen = this.written.get(key);
    if (seen === undefined) {
      this.written.set(key, {
        kind: entry.kind,
        data: entry.data,
        previousTerm,
        firstWriter: host.id,
      });
      return;
    }
    if (seen.kind !== entry.kind || !sameBytes(seen.data, entry.data)) {
      this.fail(
        'Log Matching',
        `${host.id} and ${seen.firstWriter} hold different entries at index ${entry.index} term ${entry.term}`,
      );
    }
    if (seen.previousTerm !== -1 && previousTerm !== -1 && seen.previousTerm !== previousTerm) {
      this.fail(
        'Log Matching',
        `entry ${entry.index}/t${entry.term} follows term ${previousTerm} on ${host.id} but term ${seen.previousTerm} on ${seen.firstWriter}`,
      );
    }
  }

  onApply(host: NodeHost, entry: Entry): void {
    const index = entry.index;
    const hash = host.sm.hash;
    const known = this.appliedHash[index];
    if (known === undefined) {
      this.appliedHash[index] = hash;
    } else if (known !== hash) {
      this.fail(
        'State Machine Safety',
        `${host.id} applied a different history at index ${index} (entry term ${entry.term}, committed term ${this.committedTerm[index] ?? '?'})`,
      );
    }
    this.recordCommittedTerm(host, index, entry.term);
  }

  onSnapshotInstalled(host: NodeHost, snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    const known = this.appliedHash[index];
    if (known === undefined) this.appliedHash[index] = host.sm.hash;
    else if (known !== host.sm.hash) {
      this.fail(
        'State Machine Safety',
        `${host.id} installed a snapshot at ${index} whose state differs from what others applied`,
      );
    }
    this.recordCommittedTerm(host, index, snapshot.meta.term);
  }

  private recordCommittedTerm(host: NodeHost, index: number, entryTerm: number): void {
    const known = this.committedTerm[index];
    if (known === undefined) this.committedTerm[index] = entryTerm;
    else if (known !== entryTerm) {
      this.fail(
        'State Machine Safety',
        `${host.id} applied term ${entryTerm} at index ${index}; term ${known} was committed there`,
      );
    }
  }

  /** A client was told its proposal at (index, term) succeeded. */
  onAcknowledged(index: number, proposalTerm: number): void {
    const committed = this.committedTerm[index];
    if (committed !== proposalTerm) {
      this.fail(
        'Acknowledged Write Durable',
        `a write acknowledged at ${index}/t${proposalTerm} is not what committed there (t${committed ?? '?'})`,
      );
    }
    if (index > this.acknowledgedMax) this.acknowledgedMax = index;
  }

  onReadState(host: NodeHost, read: PendingRead, index: number): void {
    if (index < read.ackedIndexAtStart) {
      this.fail(
        'Linearizable Read',
        `${host.id} answered read ${read.requestId} at index ${index}, but a write at ${read.ackedIndexAtStart} was acknowledged before the read began`,
      );
    }
  }

  onReadServed(host: NodeHost, read: PendingRead): void {
    if (host.sm.applied < read.ackedIndexAtStart) {
      this.fail(
        'Linearizable Read',
        `${host.id} served read ${read.requestId} from applied ${host.sm.applied} < ${read.ackedIndexAtStart}`,
      );
    }
  }

  /** After every step, for each node the step touched. */
  observe(host: NodeHost, status: RaftStatus): void {
    if (status.commit < host.lastCommit) {
      this.fail(
        'Commit Monotonic',
        `${host.id} commit went from ${host.lastCommit} to ${status.commit}`,
      );
    }
    if (status.commit < host.sm.applied) {
      this.fail(
        'Applied <= Commit',
        `${host.id} has applied ${host.sm.applied} but commit is ${status.commit}`,
      );
    }
    if (status.commit > status.lastIndex) {
      this.fail(
        'Commit Within Log',
        `${host.id} has commit ${status.commit} beyond its last index ${status.lastIndex}`,
      );
    }
    if (status.commit > this.committedMax) this.extendCommitted(host, status);
    host.lastCommit = status.commit;
    const isLeader = status.role === 'leader';
    if (isLeader && (host.lastRole !== 'leader' || host.lastTerm !== status.term))
      this.onNewLeader(host, status);
    if (!isLeader) this.leaders.delete(host.id);
    host.lastRole = status.role;
    host.lastTerm = status.term;
  }

  forget(host: NodeHost): void {
    this.leaders.delete(host.id);
  }

  /** The host has nothing in flight: its durable log is its whole log. Run a deferred check. */
  onQuiescent(host: NodeHost): void {
    const term = host.deferredLeaderCheck;
    if (term === null || host.node === null) return;
    host.deferredLeaderCheck = null;
    const status = host.node.status();
    // A node that lost leadership meanwhile may legitimately have had its log truncated.
    if (status.role === 'leader' && status.term === term) this.checkLeaderLog(host, term);
  }

  private onNewLeader(host: NodeHost, status: RaftStatus): void {
    const earlier = this.leaderOfTerm.get(status.term);
    if (earlier !== undefined && earlier !== host.id) {
      this.fail(
        'Election Safety',
        `${host.id} and ${earlier} were both leaders of term ${status.term}`,
      );
    }
    if (earlier === undefined) {
      this.leaderOfTerm.set(status.term, host.id);
      this.elections++;
    }
    this.leaders.set(host.id, { host, term: status.term });
    if (host.persisting > 0 || host.node?.hasReady() === true)
      host.deferredLeaderCheck = status.term;
    else this.checkLeaderLog(host, status.term);
  }

  /** Leader Completeness for a whole log: O(committed entries), run once per election. */
  private checkLeaderLog(host: NodeHost, leaderTerm: number): void {
    const from = Math.max(1, host.storage.firstIndex());
    for (let index = from; index <= this.committedMax; index++) {
      const bound = this.commitTermBound[index];
      if (bound !== undefined && bound < leaderTerm) this.checkLeaderHolds(host, leaderTerm, index);
    }
  }

  private extendCommitted(host: NodeHost, status: RaftStatus): void {
    // Entries a node has not made durable yet are recorded when it (or another node) has.
    const upTo = Math.min(status.commit, host.storage.lastIndex());
    const first = host.storage.firstIndex();
    for (let index = this.committedMax + 1; index <= upTo; index++) {
      this.commitTermBound[index] = status.term;
      if (index >= first) {
        const entryTerm = host.storage.term(logIndex(index));
        const known = this.committedTerm[index];
        if (known === undefined) this.committedTerm[index] = entryTerm;
        else if (known !== entryTerm) {
          this.fail(
            'State Machine Safety',
            `${host.id} committed term ${entryTerm} at ${index} where term ${known} committed`,
          );
        }
      }
      for (const leader of this.leaders.values()) {
        if (leader.host !== host && leader.host.alive && status.term < leader.term) {
          this.checkLeaderHolds(leader.host, leader.term, index);
        }
      }
    }
    if (upTo > this.committedMax) this.committedMax = upTo;
  }

  private checkLeaderHolds(leader: NodeHost, leaderTerm: number, index: number): void {
    const expected = this.committedTerm[index];
    if (expected === undefined || index < leader.storage.firstIndex()) return;
    if (
      index > leader.storage.lastIndex() &&
      (leader.persisting > 0 || leader.node?.hasReady() === true)
    ) {
      leader.deferredLeaderCheck = leaderTerm;
      return;
    }
    const actual =
      index <= leader.storage.lastIndex() ? leader.storage.term(logIndex(index)) : undefined;
    if (actual !== expected) {
      this.fail(
        'Leader Completeness',
        `${leader.id} leads term ${leaderTerm} without committed entry ${index}/t${expected} (it holds ${actual === undefined ? 'nothing' : `t${actual}`} there)`,
      );
    }
  }
}

function termOrUnknown(host: NodeHost, index: number): number {
  if (index < host.storage.firstIndex() - 1) return -1;
  return host.storage.term(logIndex(index));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
