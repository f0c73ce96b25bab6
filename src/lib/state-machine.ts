import type { LogIndex, Term } from './brand.ts';

/**
 * The contract between the replica loop (src/replica) and whatever state machine it replicates:
 * the workflow engine (src/engine) in production, a small key-value map in tests and benchmarks.
 *
 * State lives in a key-value keyspace owned by the state machine. The replica hands `apply` a
 * view over that keyspace; every write made while applying a run of committed entries lands in
 * one atomic LevelDB batch together with the applied index (DESIGN.md rule 4). Because the whole
 * state is that keyspace, the replica can snapshot and restore it without knowing what it means.
 */

/** Reads from state as of the last write made through this view (read-your-writes). */
export interface KvReader {
  /** The value stored at `key`, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /**
   * Entries with gte <= key < lt in key order (descending when `reverse`), at most `limit` of
   * them. Keys compare as UTF-8 byte strings, as LevelDB orders them.
   */
  scan(range: KvRange): Promise<Array<readonly [string, Uint8Array]>>;
}

export interface KvRange {
  gte: string;
  lt: string;
  limit: number;
  reverse?: boolean;
}

/** A view that also buffers writes; the owner of the view decides when they become durable. */
export interface KvView extends KvReader {
  put(key: string, value: Uint8Array): void;
  del(key: string): void;
}

/** Where a committed command sits in the replicated log. */
export interface ApplyContext {
  readonly index: LogIndex;
  readonly term: Term;
}

export interface StateMachine<Result = unknown> {
  /**
   * Applies one committed command. Must be deterministic: the same prior state and the same
   * command produce the same writes and the same result on every node (DESIGN.md rule 3). A bad
   * command is not an exception: it yields a rejection result and writes nothing. Throwing means
   * the node cannot continue (a bug or a broken disk) and stops the replica.
   *
   * Calls are strictly sequential in log order; the replica awaits each before the next.
   */
  apply(command: Uint8Array, context: ApplyContext, view: KvView): Promise<Result>;
}
