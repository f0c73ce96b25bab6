/**
 * The leader's linearizable reads (ReadIndex). A read asks for an index at which the local state
 * holds every write acknowledged before the read began; the core answers one round at a time,
 * after confirming with a quorum that this node still leads. Reads that arrive while a round is
 * in flight wait for the next one, so a burst of reads costs one round, not one each; a read is
 * served once the state has applied its round's index.
 */
import type { LogIndex } from '../lib/index.ts';
import type { ReadState } from '../raft/index.ts';
import { PendingReadLimitError, RequestTimeoutError } from './errors.ts';

interface ReadWaiter {
  readonly deadlineMs: number;
  readonly resolve: (index: LogIndex) => void;
  readonly reject: (error: Error) => void;
}

export interface ReadBarriersOptions {
  /** Prefix of the round ids (the node id): a round id must not repeat across leaders. */
  readonly idPrefix: string;
  /** Starts a round in the core (RaftNode.readIndex); throws if it cannot. */
  readonly startRound: (id: string) => void;
  /** Reads waiting at once, past which a read is refused. */
  readonly maxPending: number;
  readonly timeoutMs: number;
  /** Called with the number of reads waiting whenever it changes. */
  readonly onPendingChange: (pending: number) => void;
}

export class ReadBarriers {
  /** Reads waiting for a round to start (one round in flight at a time). */
  private queued: ReadWaiter[] = [];
  /** The round in flight: its request id and its readers. */
  private round: { readonly id: string; readonly waiters: ReadWaiter[] } | null = null;
  /** Reads whose index is known, waiting for it to be applied, in index order. */
  private readonly awaitingApply: Array<{ index: LogIndex; waiters: ReadWaiter[] }> = [];
  private roundCounter = 0;
  private pending = 0;

  constructor(private readonly options: ReadBarriersOptions) {}

  /** A read: resolves with the index the local state must have applied to serve it. */
  request(nowMs: number): Promise<LogIndex> {
    const limit = this.options.maxPending;
    if (this.pending >= limit) return Promise.reject(new PendingReadLimitError(limit));
    return new Promise<LogIndex>((resolve, reject) => {
      this.setPending(this.pending + 1);
      this.queued.push({
        deadlineMs: nowMs + this.options.timeoutMs,
        resolve: (index) => {
          this.setPending(this.pending - 1);
          resolve(index);
        },
        reject: (error) => {
          this.setPending(this.pending - 1);
          reject(error);
        },
      });
      this.startRound();
    });
  }

  /** The core's answers (Ready.readStates): the round's readers now wait for its index. */
  onReadStates(states: readonly ReadState[]): void {
    for (const state of states) {
      if (this.round === null || state.requestId !== this.round.id) continue;
      const waiters = this.round.waiters;
      this.round = null;
      const tail = this.awaitingApply.at(-1);
      if (tail !== undefined && tail.index >= state.index) tail.waiters.push(...waiters);
      else this.awaitingApply.push({ index: state.index, waiters });
    }
    this.startRound();
  }

  /** Serves every read whose index the state has applied (`applied`). */
  serve(applied: LogIndex): void {
    while (this.awaitingApply.length > 0 && this.awaitingApply[0]!.index <= applied) {
      const group = this.awaitingApply.shift()!;
      for (const waiter of group.waiters) waiter.resolve(applied);
    }
  }

  /**
   * Fails every read if the oldest has waited past its deadline: a round that outlived it is
   * abandoned (the core may have dropped it), and the readers retry on a fresh one.
   */
  expire(nowMs: number): void {
    const oldest = this.round?.waiters[0] ?? this.awaitingApply[0]?.waiters[0] ?? this.queued[0];
    if (oldest === undefined || oldest.deadlineMs > nowMs) return;
    this.failAll(new RequestTimeoutError('the linearizable read', this.options.timeoutMs));
  }

  /** Fails every waiting read (this node stopped leading, or stopped). */
  failAll(error: Error): void {
    const all = [
      ...this.queued,
      ...(this.round?.waiters ?? []),
      ...this.awaitingApply.flatMap((group) => group.waiters),
    ];
    this.queued = [];
    this.round = null;
    this.awaitingApply.length = 0;
    for (const waiter of all) waiter.reject(error);
  }

  private startRound(): void {
    if (this.round !== null || this.queued.length === 0) return;
    const id = `${this.options.idPrefix}:${++this.roundCounter}`;
    const waiters = this.queued;
    this.queued = [];
    // In flight before the core hears of it, so an answer however prompt finds its readers.
    this.round = { id, waiters };
    try {
      this.options.startRound(id);
    } catch (error) {
      this.round = null;
      const reason = error instanceof Error ? error : new Error(String(error));
      for (const waiter of waiters) waiter.reject(reason);
    }
  }

  private setPending(pending: number): void {
    this.pending = pending;
    this.options.onPendingChange(pending);
  }
}
