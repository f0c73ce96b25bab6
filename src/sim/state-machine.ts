import { assert, logIndex, term, unreachable } from '../lib/index.ts';
import type { LogIndex, NodeId, Term } from '../lib/index.ts';
import { decodeConfChange } from './raft.ts';
import type { ConfChange, ConfState, Entry, Snapshot } from './raft.ts';
import { hashBytes, hashInit, hashNumber } from './hash.ts';

const KIND_CODE = { normal: 1, noop: 2, config: 3 } as const;

/**
 * The simulated replica's state machine: a hash chain over every applied entry plus the
 * membership as of the applied index. Two nodes that applied the same log prefix hold the same
 * hash, so comparing hashes at one index compares whole histories (State Machine Safety).
 *
 * It is treated as durable and updated atomically with its applied index, like the engine's
 * LevelDB batch (DESIGN.md rule 4): a crash never rolls it back.
 */
export class SimStateMachine {
  applied: LogIndex = logIndex(0);
  appliedTerm: Term = term(0);
  hash = hashInit();
  /** Normal (client) commands applied so far. */
  commands = 0;
  conf: ConfState;

  constructor(conf: ConfState) {
    this.conf = conf;
  }

  apply(entry: Entry): void {
    assert(
      entry.index === this.applied + 1,
      () => `apply out of order: entry ${entry.index} after applied ${this.applied}`,
    );
    let h = hashNumber(this.hash, entry.index);
    h = hashNumber(h, entry.term);
    h = hashNumber(h, KIND_CODE[entry.kind]);
    this.hash = hashBytes(h, entry.data);
    this.applied = entry.index;
    this.appliedTerm = entry.term;
    if (entry.kind === 'normal') this.commands++;
    if (entry.kind === 'config')
      this.conf = applyConfChange(this.conf, decodeConfChange(entry.data));
  }

  restore(snapshot: Snapshot): void {
    const state = decodeState(snapshot.data);
    assert(
      state.applied === snapshot.meta.index,
      () =>
        `snapshot data at ${state.applied} does not match its meta index ${snapshot.meta.index}`,
    );
    this.applied = snapshot.meta.index;
    this.appliedTerm = snapshot.meta.term;
    this.hash = state.hash;
    this.commands = state.commands;
    this.conf = snapshot.meta.conf;
  }

  /** A snapshot of the state as of `applied`, in the shape the host hands to storage. */
  snapshot(): Snapshot {
    return {
      meta: { index: this.applied, term: this.appliedTerm, conf: this.conf },
      data: encodeState(this.applied, this.hash, this.commands),
    };
  }
}

export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => id !== change.node);
  const learners = conf.learners.filter((id) => id !== change.node);
  switch (change.type) {
    case 'addLearner':
      return { voters, learners: [...learners, change.node] };
    case 'promote':
    case 'addVoter':
      return { voters: [...voters, change.node], learners };
    case 'remove':
      return { voters, learners };
    case 'forceSoleVoter':
      return { voters: [change.node], learners: [] };
    default:
      return unreachable(change.type, 'conf change type');
  }
}

export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

function encodeState(applied: number, hash: number, commands: number): Uint8Array {
  return new TextEncoder().encode(`${applied}:${hash}:${commands}`);
}

function decodeState(data: Uint8Array): { applied: number; hash: number; commands: number } {
  const parts = new TextDecoder().decode(data).split(':').map(Number);
  assert(parts.length === 3 && parts.every(Number.isFinite), 'malformed simulated snapshot');
  return { applied: parts[0]!, hash: parts[1]!, commands: parts[2]! };
}
