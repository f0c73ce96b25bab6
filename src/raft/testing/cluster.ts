/**
 * A tiny in-process host for protocol tests: several RaftNodes over MemoryStorage, a message
 * queue delivered in order, partitions and drop filters. Every node is driven like a real host:
 * ready → send `messages` → persist → send `messagesAfterPersist` → apply → advance.
 *
 * Tests read as scripts: `const c = new TestCluster('n1 n2 n3'); c.campaign('n1'); c.stabilize();`.
 */
import { logIndex, nodeId, SeededRng, term } from '../../lib/index.ts';
import type { LogIndex, NodeId } from '../../lib/index.ts';
import { applyConfChangeEntry } from '../conf-change.ts';
import { MemoryStorage } from '../memory-storage.ts';
import { RaftNode } from '../node.ts';
import type {
  ConfState,
  Entry,
  Message,
  RaftConfig,
  RaftStorage,
  ReadState,
  Snapshot,
} from '../types.ts';

export interface TestNode {
  readonly id: NodeId;
  node: RaftNode;
  storage: MemoryStorage;
  /** Payloads of applied normal entries, as text, in order (the "state machine"). */
  state: string[];
  appliedIndex: LogIndex;
  /** Membership as of appliedIndex, for making local snapshots. */
  appliedConf: ConfState;
  readStates: ReadState[];
  /** Every committed entry handed out, in order. */
  committed: Entry[];
}

export type DropFilter = (m: Message) => boolean;

const MAX_DELIVERY_ROUNDS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);

export function defaultConfig(id: NodeId, storage: RaftStorage, seed: number): RaftConfig {
  return {
    id,
    storage,
    rng: new SeededRng(seed),
    heartbeatTicks: 2,
    electionTicks: 10,
    applied: logIndex(0),
    preVote: true,
    checkQuorum: true,
    maxMessageBytes: 1024 * 1024,
    maxInflightMessages: 64,
    maxUncommittedBytes: 1024 * 1024,
    maxCommittedBytesPerReady: 1024 * 1024,
  };
}

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages in flight, delivered in order by stabilize(). */
  queue: Message[] = [];
  /** Delivered messages, one line each, for golden traces. */
  trace: string[] = [];
  private readonly isolated = new Set<NodeId>();
  private readonly cutLinks = new Set<string>();
  private drop: DropFilter | null = null;
  private seed = 1;

  /** `ids` like 'n1 n2 n3' (all voters); `overrides` change every node's config. */
  constructor(
    ids: string,
    readonly overrides: Partial<RaftConfig> = {},
    readonly bootstrap: ConfState = { voters: ids.split(' ').map(nodeId), learners: [] },
  ) {
    for (const id of ids.split(' ')) this.addNode(id);
  }

  /** Starts a node with an empty log and the cluster's bootstrap membership. */
  addNode(id: string, storage = new MemoryStorage(this.bootstrap), applied = 0): TestNode {
    const nid = nodeId(id);
    const node = new RaftNode({
      ...defaultConfig(nid, storage, this.seed++),
      ...this.overrides,
      storage,
      applied: logIndex(applied),
    });
    const entry: TestNode = {
      id: nid,
      node,
      storage,
      state: [],
      appliedIndex: logIndex(applied),
      appliedConf: storage.initialState().conf,
      readStates: [],
      committed: [],
    };
    this.nodes.set(nid, entry);
    return entry;
  }

  get(id: string): TestNode {
    const n = this.nodes.get(nodeId(id));
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: string): RaftNode {
    return this.get(id).node;
  }

  /** Simulates a crash and restart: volatile state is lost, storage (all of it durable here) stays. */
  restart(id: string): void {
    const old = this.get(id);
    this.nodes.delete(old.id);
    const restarted = this.addNode(id, old.storage, old.appliedIndex);
    restarted.state = old.state;
    restarted.appliedConf = old.appliedConf;
    restarted.committed = old.committed;
  }

  isolate(id: string): void {
    this.isolated.add(nodeId(id));
  }

  cut(a: string, b: string): void {
    this.cutLinks.add(`${a}->${b}`);
    this.cutLinks.add(`${b}->${a}`);
  }

  heal(): void {
    this.isolated.clear();
    this.cutLinks.clear();
    this.drop = null;
  }

  /** Drops every message for which `filter` returns true (until heal()). */
  dropWhere(filter: DropFilter | null): void {
    this.drop = filter;
  }

  campaign(id: string): void {
    this.raft(id).campaign();
    this.processReady(this.get(id));
  }

  propose(id: string, text: string): { index: number; term: number } {
    const position = this.raft(id).propose(bytes(text));
    this.processReady(this.get(id));
    return position;
  }

  /** Ticks every node `ticks` times, delivering all messages after each tick. */
  tick(ticks = 1, only?: string[]): void {
    for (let t = 0; t < ticks; t++) {
      for (const n of this.nodes.values()) {
        if (only && !only.includes(n.id)) continue;
        n.node.tick();
        this.processReady(n);
      }
      this.stabilize();
    }
  }

  /** Delivers messages until none are left and no node has work. */
  stabilize(): void {
    for (let round = 0; round < MAX_DELIVERY_ROUNDS; round++) {
      for (const n of this.nodes.values()) this.processReady(n);
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) this.deliver(m);
    }
    throw new Error('the cluster did not stabilize');
  }

  /**
   * stabilize(), then one tick of every leader and delivery again: the leader sends commit notices
   * on its tick, so afterwards every reachable node has applied what is committed.
   */
  settle(): void {
    this.stabilize();
    const leaders = [...this.nodes.values()]
      .filter((n) => n.node.status().role === 'leader')
      .map((n) => n.id);
    if (leaders.length > 0) this.tick(1, leaders);
  }

  /** Delivers the queued messages once (no further rounds). */
  deliverOnce(): void {
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) this.deliver(m);
  }

  leader(): NodeId | null {
    let found: NodeId | null = null;
    let bestTerm = -1;
    for (const n of this.nodes.values()) {
      const s = n.node.status();
      if (s.role === 'leader' && s.term > bestTerm) {
        found = n.id;
        bestTerm = s.term;
      }
    }
    return found;
  }

  /** Takes a local snapshot of `id`'s state at its applied index and compacts, keeping `retain`. */
  compact(id: string, retain = 0): Snapshot {
    const n = this.get(id);
    const index = n.appliedIndex;
    const snapshot: Snapshot = {
      meta: { index, term: n.storage.term(index), conf: n.appliedConf },
      data: bytes(JSON.stringify(n.state)),
    };
    n.storage.saveLocalSnapshotSync(snapshot, retain);
    return snapshot;
  }

  processReady(n: TestNode): void {
    while (n.node.hasReady()) {
      const r = n.node.ready();
      for (const m of r.messages) this.queue.push(m);
      n.storage.saveSync({ snapshot: r.snapshot, entries: r.entries, hardState: r.hardState });
      for (const m of r.messagesAfterPersist) this.queue.push(m);
      if (r.snapshot) {
        n.state = JSON.parse(decoder.decode(r.snapshot.data)) as string[];
        n.appliedIndex = r.snapshot.meta.index;
        n.appliedConf = r.snapshot.meta.conf;
      }
      for (const e of r.committedEntries) {
        if (e.kind === 'normal') n.state.push(decoder.decode(e.data));
        if (e.kind === 'config') n.appliedConf = applyConfChangeEntry(n.appliedConf, e.data);
        n.appliedIndex = e.index;
        n.committed.push(e);
      }
      for (const rs of r.readStates) n.readStates.push(rs);
      n.node.advance(r);
    }
  }

  private deliver(m: Message): void {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return;
    if (this.cutLinks.has(`${m.from}->${m.to}`)) return;
    if (this.drop?.(m)) return;
    const target = this.nodes.get(m.to);
    if (!target) return;
    this.trace.push(describeMessage(m));
    target.node.step(m);
    this.processReady(target);
  }
}

/** One line per message, e.g. `n1->n2 append t2 i1/t1 [2@t2] c1`. */
export function describeMessage(m: Message): string {
  const base = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'vote':
    case 'preVote':
      return `${base} last ${m.index}@t${m.logTerm}${m.context.length > 0 ? ' transfer' : ''}`;
    case 'voteResponse':
    case 'preVoteResponse':
      return `${base}${m.reject ? ' reject' : ' grant'}`;
    case 'append':
      return `${base} prev ${m.index}@t${m.logTerm} [${m.entries.map((e) => `${e.index}@t${e.term}`).join(' ')}] commit ${m.commit}`;
    case 'appendResponse':
      return m.reject
        ? `${base} reject ${m.index} hint ${m.rejectHint}@t${m.logTerm}`
        : `${base} ok ${m.index}`;
    case 'heartbeat':
      return `${base} commit ${m.commit}${m.context.length > 0 ? ' read' : ''}`;
    case 'heartbeatResponse':
      return `${base}${m.context.length > 0 ? ' read' : ''}`;
    case 'snapshot':
      return `${base} snapshot ${m.snapshot?.meta.index}@t${m.snapshot?.meta.term}`;
    case 'timeoutNow':
      return base;
  }
}

/** Writes `entries` (index 1.., with the given terms) and a hard state straight into storage. */
export function storageWithLog(
  bootstrap: ConfState,
  terms: number[],
  currentTerm: number,
): MemoryStorage {
  const storage = new MemoryStorage(bootstrap);
  const entries: Entry[] = terms.map((t, k) => ({
    index: logIndex(k + 1),
    term: term(t),
    kind: 'normal',
    data: bytes(`e${k + 1}t${t}`),
  }));
  storage.saveSync({
    entries,
    hardState: { term: term(currentTerm), vote: null, commit: logIndex(0) },
  });
  return storage;
}

/** A message with every unused field zero, for tests that step nodes by hand (plain numbers). */
export function message(
  fields: Omit<
    Partial<Message>,
    'from' | 'to' | 'term' | 'index' | 'logTerm' | 'commit' | 'rejectHint'
  > & {
    type: Message['type'];
    from: string;
    to: string;
    term: number;
    index?: number;
    logTerm?: number;
    commit?: number;
    rejectHint?: number;
  },
): Message {
  return {
    entries: [],
    reject: false,
    snapshot: null,
    context: new Uint8Array(0),
    ...fields,
    from: nodeId(fields.from),
    to: nodeId(fields.to),
    term: term(fields.term),
    index: logIndex(fields.index ?? 0),
    logTerm: term(fields.logTerm ?? 0),
    commit: logIndex(fields.commit ?? 0),
    rejectHint: logIndex(fields.rejectHint ?? 0),
  };
}
