/**
 * Branded primitives. A term, a log index and a node id are never interchangeable with a bare
 * number or string: the compiler keeps `term` from being passed where an `index` is expected.
 */
declare const brand: unique symbol;
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** A Raft term: starts at 0, only ever grows. */
export type Term = Brand<number, 'Term'>;
/** A position in the Raft log: 1 is the first entry; 0 means "before the first entry". */
export type LogIndex = Brand<number, 'LogIndex'>;
/** A node's stable identity within its cluster, e.g. "n1". */
export type NodeId = Brand<string, 'NodeId'>;

export const term = (value: number): Term => value as Term;
export const logIndex = (value: number): LogIndex => value as LogIndex;
export const nodeId = (value: string): NodeId => value as NodeId;

export const TERM_ZERO = term(0);
export const INDEX_ZERO = logIndex(0);
