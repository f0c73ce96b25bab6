/**
 * ReadIndex (Raft dissertation §6.4): a read is linearizable if served once the state machine has
 * applied the commit index the leader had when the read arrived, provided the leader proves it
 * was still the leader after the read arrived. The proof is one heartbeat round acknowledged by a
 * quorum of voters; the round's id travels in the heartbeat's `context`.
 *
 * Requests that arrive before a round's heartbeats have been handed to the host join that round:
 * its heartbeats leave after they arrived, so its quorum proves leadership for them too. Under
 * load this makes one round per Ready instead of one per read.
 */
import type { LogIndex, NodeId } from '../lib/index.ts';
import type { ReadState } from './types.ts';

/** Reads the leader holds at once; past it readIndex refuses (the host times reads out anyway). */
export const MAX_PENDING_READS = 65_536;

const CONTEXT_BYTES = 8;

interface ReadRound {
  readonly id: number;
  readonly context: Uint8Array;
  readonly reads: ReadState[];
  readonly acks: Set<NodeId>;
}

export class ReadOnly {
  private rounds: ReadRound[] = [];
  private openRound: ReadRound | null = null;
  private nextRoundId = 1;
  private pending = 0;

  pendingCount(): number {
    return this.pending;
  }

  /**
   * Registers a read at `index`. Returns the context of a new round whose heartbeats the caller
   * must send, or null when the read joined a round whose heartbeats have not left yet.
   */
  add(requestId: string, index: LogIndex): Uint8Array | null {
    this.pending++;
    if (this.openRound) {
      this.openRound.reads.push({ requestId, index });
      return null;
    }
    const id = this.nextRoundId++;
    const round: ReadRound = {
      id,
      context: encodeRoundId(id),
      reads: [{ requestId, index }],
      acks: new Set(),
    };
    this.rounds.push(round);
    this.openRound = round;
    return round.context;
  }

  /** The open round's heartbeats are being handed to the host: later reads need a new round. */
  seal(): void {
    this.openRound = null;
  }

  /**
   * Records `from`'s acknowledgement of the round in `context`. When `hasQuorum` says the acks
   * suffice, returns that round's reads and those of every earlier round (a later proof covers
   * earlier reads); otherwise an empty list.
   */
  ack(
    from: NodeId,
    context: Uint8Array,
    hasQuorum: (acks: ReadonlySet<NodeId>) => boolean,
  ): ReadState[] {
    const id = decodeRoundId(context);
    if (id === null) return [];
    const position = this.rounds.findIndex((r) => r.id === id);
    if (position < 0) return [];
    const round = this.rounds[position]!;
    round.acks.add(from);
    if (!hasQuorum(round.acks)) return [];
    const released: ReadState[] = [];
    for (const r of this.rounds.splice(0, position + 1)) {
      for (const read of r.reads) released.push(read);
      if (r === this.openRound) this.openRound = null;
    }
    this.pending -= released.length;
    return released;
  }

  /** A leader that steps down forgets its reads: the host times them out. */
  reset(): void {
    this.rounds = [];
    this.openRound = null;
    this.pending = 0;
  }
}

function encodeRoundId(id: number): Uint8Array {
  const out = new Uint8Array(CONTEXT_BYTES);
  let value = id;
  for (let k = CONTEXT_BYTES - 1; k >= 0; k--) {
    out[k] = value % 256;
    value = Math.floor(value / 256);
  }
  return out;
}

function decodeRoundId(context: Uint8Array): number | null {
  if (context.length !== CONTEXT_BYTES) return null;
  let value = 0;
  for (const byte of context) value = value * 256 + byte;
  return value;
}
