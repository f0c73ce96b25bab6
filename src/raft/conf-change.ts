/**
 * Membership changes, one server at a time (Raft dissertation §4.1). A change takes effect on a
 * node as soon as its entry is appended to that node's log, committed or not; the node reverts it
 * if the entry is truncated away.
 *
 * Safety rule (the dissertation's errata, Ongaro 2015): single-server changes are only safe if a
 * leader proposes a change after it has committed an entry of its own term, and never while an
 * earlier change is still uncommitted. Without the first half, a leader elected under the old
 * configuration and a leader of the new one can each commit a different change in overlapping
 * terms, and two disjoint majorities result. RaftNode.proposeConfChange enforces both halves.
 */
import { nodeId } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import { ConfChangeRejectedError } from './errors.ts';
import type { ConfChange, ConfState } from './types.ts';

const ENCODING_VERSION = 1;
/** A node id longer than this is certainly a corrupt or hostile encoding. */
const MAX_NODE_ID_BYTES = 256;
const TYPE_CODES: Record<ConfChange['type'], number> = {
  addLearner: 1,
  promote: 2,
  addVoter: 3,
  remove: 4,
  forceSoleVoter: 5,
};
const TYPE_BY_CODE: ReadonlyMap<number, ConfChange['type']> = new Map(
  Object.entries(TYPE_CODES).map(([name, code]) => [code, name as ConfChange['type']]),
);

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Layout: [version=1][type code][node id as UTF-8]. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const id = utf8Encoder.encode(change.node);
  if (id.length === 0 || id.length > MAX_NODE_ID_BYTES) {
    throw new ConfChangeRejectedError(
      `node id must be 1..${MAX_NODE_ID_BYTES} bytes, got ${id.length}`,
    );
  }
  const out = new Uint8Array(2 + id.length);
  out[0] = ENCODING_VERSION;
  out[1] = TYPE_CODES[change.type];
  out.set(id, 2);
  return out;
}

/** Throws ConfChangeRejectedError when `data` is not a valid encoding. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length < 3 || data.length > 2 + MAX_NODE_ID_BYTES) {
    throw new ConfChangeRejectedError(
      `encoded change has ${data.length} bytes, expected 3..${2 + MAX_NODE_ID_BYTES}`,
    );
  }
  if (data[0] !== ENCODING_VERSION) {
    throw new ConfChangeRejectedError(`unknown encoding version ${data[0]}`);
  }
  const type = TYPE_BY_CODE.get(data[1]!);
  if (type === undefined) throw new ConfChangeRejectedError(`unknown change type code ${data[1]}`);
  let node: string;
  try {
    node = utf8Decoder.decode(data.subarray(2));
  } catch (cause) {
    throw new ConfChangeRejectedError(`node id is not valid UTF-8 (${String(cause)})`);
  }
  return { type, node: nodeId(node) };
}

/**
 * The membership after `change`. Throws ConfChangeRejectedError when the change does not apply to
 * `conf` (adding a member twice, promoting a non-learner, removing the last voter …).
 */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const { node } = change;
  const isVoter = conf.voters.includes(node);
  const isLearner = conf.learners.includes(node);
  switch (change.type) {
    case 'addLearner':
      if (isVoter || isLearner) throw new ConfChangeRejectedError(`${node} is already a member`);
      return { voters: conf.voters, learners: [...conf.learners, node] };
    case 'addVoter':
      if (isVoter || isLearner)
        throw new ConfChangeRejectedError(
          `${node} is already a member (promote a learner instead)`,
        );
      return { voters: [...conf.voters, node], learners: conf.learners };
    case 'promote':
      if (!isLearner) throw new ConfChangeRejectedError(`${node} is not a learner`);
      return { voters: [...conf.voters, node], learners: without(conf.learners, node) };
    case 'remove':
      if (!isVoter && !isLearner) throw new ConfChangeRejectedError(`${node} is not a member`);
      if (isVoter && conf.voters.length === 1)
        throw new ConfChangeRejectedError(`${node} is the last voter`);
      return { voters: without(conf.voters, node), learners: without(conf.learners, node) };
    case 'forceSoleVoter':
      return { voters: [node], learners: [] };
  }
}

/**
 * Applies a config entry's payload as every node must: deterministically and without throwing.
 * An invalid payload or a change that does not apply leaves the membership unchanged (the
 * leader validated it against the same preceding membership, so this only happens to corrupt or
 * hostile input).
 */
export function applyConfChangeEntry(conf: ConfState, data: Uint8Array): ConfState {
  try {
    return applyConfChange(conf, decodeConfChange(data));
  } catch (error) {
    if (error instanceof ConfChangeRejectedError) return conf;
    throw error;
  }
}

export function isVoter(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id);
}

export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

function without(list: readonly NodeId[], id: NodeId): NodeId[] {
  return list.filter((x) => x !== id);
}
