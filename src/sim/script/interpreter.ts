import { assert, BatonError, logIndex, nodeId } from '../../lib/index.ts';
import type { NodeId, Rng } from '../../lib/index.ts';
import { decodeConfChange, MemoryStorage, RaftNode } from '../raft.ts';
import type { ConfChange, ConfState, Entry, Message, RaftConfig, Ready } from '../raft.ts';
import { SimStateMachine } from '../state-machine.ts';
import { formatMessage } from '../trace.ts';

/** Rounds of ready-and-deliver one `stabilize` may take before the script is declared stuck. */
const MAX_STABILIZE_ROUNDS = 1_000;
/** Most ticks one `tick` command may ask for. */
const MAX_TICKS_PER_COMMAND = 10_000;

/**
 * Draws the lowest value every time: each node's election timeout is exactly `electionTicks`,
 * so a script says `tick 1 30` and knows node 1 campaigns on the last tick.
 */
const LOWEST_RNG: Rng = { next: () => 0, int: (min: number) => min };

interface ScriptNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly sm: SimStateMachine;
  node: RaftNode | null;
  readonly pendingReads: Map<string, number>;
}

/**
 * Runs protocol scripts (see datadriven.ts) against real RaftNodes over MemoryStorage. Hosts
 * follow the Ready contract; messages wait in one FIFO until `stabilize` (or `deliver`)
 * hands them over. Every command returns the lines it printed.
 */
export class ScriptInterpreter {
  private readonly nodes = new Map<NodeId, ScriptNode>();
  private queue: Message[] = [];
  private readonly blocked = new Set<string>();
  private bootstrap: ConfState = { voters: [], learners: [] };
  private out: string[] = [];
  private readonly encoder = new TextEncoder();

  run(command: string): string[] {
    this.out = [];
    const [name, ...args] = command.split(/\s+/);
    try {
      this.dispatch(name ?? '', args);
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      this.print(`error: ${error.name}: ${error.message}`);
    }
    return this.out.length === 0 ? ['ok'] : this.out;
  }

  private dispatch(name: string, args: string[]): void {
    switch (name) {
      case 'add-nodes':
        this.addNodes(Number(args[0]));
        return;
      case 'campaign':
        this.withNode(args[0], (n) => {
          n.campaign();
        });
        return;
      case 'stabilize':
        this.stabilize();
        return;
      case 'deliver':
        this.deliverAll();
        return;
      case 'process-ready':
        this.processReady(this.running(args[0]));
        return;
      case 'propose':
        this.propose(args[0], args.slice(1).join(' '));
        return;
      case 'partition':
        this.partition(args);
        return;
      case 'heal':
        this.blocked.clear();
        this.print('healed');
        return;
      case 'tick':
        this.tick(args[0], Number(args[1] ?? 1));
        return;
      case 'crash':
        this.crash(args[0]);
        return;
      case 'restart':
        this.restart(args[0]);
        return;
      case 'transfer-leadership':
        this.withNode(args[0], (n) => {
          n.transferLeadership(this.id(args[1]));
        });
        return;
      case 'add-learner':
        this.changeMembership('addLearner', args[0]);
        return;
      case 'promote':
        this.changeMembership('promote', args[0]);
        return;
      case 'remove':
        this.changeMembership('remove', args[0]);
        return;
      case 'read-index':
        this.readIndex(args[0], args[1]);
        return;
      case 'snapshot':
        this.snapshot(args[0], Number(args[1] ?? 0));
        return;
      case 'status':
        this.status();
        return;
      case 'log':
        this.log(args[0]);
        return;
      default:
        throw new Error(`unknown script command "${name}"`);
    }
  }

  private print(line: string): void {
    this.out.push(line);
  }

  private id(arg: string | undefined): NodeId {
    assert(arg !== undefined && arg !== '', 'a node argument is missing');
    return nodeId(arg.startsWith('n') ? arg : `n${arg}`);
  }

  private host(arg: string | undefined): ScriptNode {
    const id = this.id(arg);
    const host = this.nodes.get(id);
    assert(host !== undefined, () => `no node ${id}`);
    return host;
  }

  private running(arg: string | undefined): ScriptNode & { node: RaftNode } {
    const host = this.host(arg);
    assert(host.node !== null, () => `${host.id} is crashed`);
    return host as ScriptNode & { node: RaftNode };
  }

  private config(host: ScriptNode): RaftConfig {
    return {
      id: host.id,
      storage: host.storage,
      rng: LOWEST_RNG,
      heartbeatTicks: 10,
      electionTicks: 30,
      applied: host.sm.applied,
      preVote: true,
      checkQuorum: true,
      maxMessageBytes: 1 << 20,
      maxInflightMessages: 256,
      maxUncommittedBytes: 1 << 20,
      maxCommittedBytesPerReady: 1 << 20,
    };
  }

  private addNodes(count: number): void {
    assert(
      this.nodes.size === 0,
      'add-nodes bootstraps the cluster once; use add-learner to grow it',
    );
    const ids = Array.from({ length: count }, (_, k) => nodeId(`n${k + 1}`));
    this.bootstrap = { voters: ids, learners: [] };
    for (const id of ids) this.createNode(id);
    this.print(`added ${ids.join(' ')} (voters ${ids.join(' ')})`);
  }

  private createNode(id: NodeId): ScriptNode {
    const host: ScriptNode = {
      id,
      storage: new MemoryStorage(this.bootstrap),
      sm: new SimStateMachine(this.bootstrap),
      node: null,
      pendingReads: new Map(),
    };
    host.node = new RaftNode(this.config(host));
    this.nodes.set(id, host);
    return host;
  }

  private withNode(arg: string | undefined, action: (node: RaftNode) => void): void {
    const host = this.running(arg);
    action(host.node);
    this.processReady(host);
  }

  private propose(arg: string | undefined, data: string): void {
    const host = this.running(arg);
    const position = host.node.propose(this.encoder.encode(data));
    this.print(`${host.id} proposed "${data}" at ${position.index}/t${position.term}`);
    this.processReady(host);
  }

  private changeMembership(type: ConfChange['type'], arg: string | undefined): void {
    const id = this.id(arg);
    const leader = [...this.nodes.values()].find((h) => h.node?.status().role === 'leader');
    assert(leader?.node != null, 'no leader to propose a membership change to');
    const position = leader.node.proposeConfChange({ type, node: id });
    this.print(`${leader.id} proposed ${type} ${id} at ${position.index}/t${position.term}`);
    if (type === 'addLearner' && !this.nodes.has(id)) {
      // A joining node starts empty, with the founders' bootstrap membership (raft/index.ts).
      this.createNode(id);
      this.print(`started ${id} (empty, bootstrap membership ${this.bootstrap.voters.join(' ')})`);
    }
    this.processReady(leader);
  }

  private readIndex(arg: string | undefined, requestId: string | undefined): void {
    const host = this.running(arg);
    assert(requestId !== undefined, 'read-index needs a request id');
    host.node.readIndex(requestId);
    host.pendingReads.set(requestId, -1);
    this.print(`${host.id} read ${requestId} started`);
    this.processReady(host);
  }

  private partition(args: string[]): void {
    const groups: NodeId[][] = [[]];
    for (const arg of args) {
      if (arg === '|') groups.push([]);
      else groups[groups.length - 1]!.push(this.id(arg));
    }
    this.blocked.clear();
    for (const [i, group] of groups.entries()) {
      for (const [j, other] of groups.entries()) {
        if (i !== j) for (const a of group) for (const b of other) this.blocked.add(`${a}>${b}`);
      }
    }
    this.print(`partitioned ${groups.map((g) => g.join(' ')).join(' | ')}`);
  }

  private tick(arg: string | undefined, count: number): void {
    assert(
      Number.isInteger(count) && count > 0 && count <= MAX_TICKS_PER_COMMAND,
      () => `bad tick count ${count}`,
    );
    const host = this.running(arg);
    for (let k = 0; k < count; k++) {
      host.node.tick();
      if (host.node.hasReady()) this.print(`(tick ${k + 1})`);
      this.processReady(host);
    }
  }

  private crash(arg: string | undefined): void {
    const host: ScriptNode = this.running(arg);
    host.node = null;
    host.pendingReads.clear();
    const before = this.queue.length;
    this.queue = this.queue.filter((m) => m.to !== host.id);
    this.print(`${host.id} crashed (${before - this.queue.length} queued message(s) to it lost)`);
  }

  private restart(arg: string | undefined): void {
    const host = this.host(arg);
    assert(host.node === null, () => `${host.id} is running`);
    host.node = new RaftNode(this.config(host));
    const hard = host.storage.initialState().hardState;
    this.print(
      `${host.id} restarted: term=${hard.term} vote=${hard.vote ?? '-'} commit=${hard.commit} applied=${host.sm.applied} last=${host.storage.lastIndex()}`,
    );
    this.processReady(host);
  }

  private snapshot(arg: string | undefined, retain: number): void {
    const host = this.host(arg);
    host.storage.saveLocalSnapshotSync(host.sm.snapshot(), retain);
    this.print(
      `${host.id} snapshot at ${host.sm.applied}/t${host.sm.appliedTerm}, log now ${host.storage.firstIndex()}..${host.storage.lastIndex()}`,
    );
  }

  private stabilize(): void {
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
      let worked = false;
      for (const host of this.sortedHosts()) {
        if (host.node?.hasReady() === true) {
          this.processReady(host);
          worked = true;
        }
      }
      if (this.queue.length > 0) {
        this.deliverAll();
        worked = true;
      }
      if (!worked) return;
    }
    throw new Error(`stabilize did not settle within ${MAX_STABILIZE_ROUNDS} rounds`);
  }

  /** Hands every queued message to its receiver (in the order sent), without processing Readies. */
  private deliverAll(): void {
    const batch = this.queue;
    this.queue = [];
    for (const message of batch) {
      const host = this.nodes.get(message.to);
      if (host?.node == null) continue;
      host.node.step(message);
    }
  }

  private sortedHosts(): ScriptNode[] {
    return [...this.nodes.values()].sort((a, b) =>
      a.id.localeCompare(b.id, 'en', { numeric: true }),
    );
  }

  private send(message: Message, afterPersist: boolean): void {
    const suffix = afterPersist ? ' (after persist)' : '';
    if (this.blocked.has(`${message.from}>${message.to}`)) {
      this.print(`${formatMessage(message)}${suffix} DROPPED`);
      return;
    }
    this.print(`${formatMessage(message)}${suffix}`);
    this.queue.push(message);
  }

  private processReady(host: ScriptNode): void {
    for (let round = 0; host.node?.hasReady() === true; round++) {
      assert(round < MAX_STABILIZE_ROUNDS, () => `${host.id} keeps producing Ready`);
      this.handleReady(host, host.node, host.node.ready());
    }
  }

  private handleReady(host: ScriptNode, node: RaftNode, ready: Ready): void {
    const id = host.id;
    if (ready.softState !== null) {
      this.print(
        `${id} is ${ready.softState.role} (term ${node.status().term}, leader ${ready.softState.leader ?? '-'})`,
      );
    }
    for (const message of ready.messages) this.send(message, false);
    if (ready.snapshot !== null)
      this.print(
        `${id} persist snapshot ${ready.snapshot.meta.index}/t${ready.snapshot.meta.term}`,
      );
    if (ready.entries.length > 0)
      this.print(`${id} persist ${ready.entries.map(describeEntry).join(', ')}`);
    if (ready.hardState !== null) {
      const h = ready.hardState;
      this.print(
        `${id} persist hard state term=${h.term} vote=${h.vote ?? '-'} commit=${h.commit}`,
      );
    }
    host.storage.saveSync({
      snapshot: ready.snapshot,
      entries: ready.entries,
      hardState: ready.hardState,
    });
    for (const message of ready.messagesAfterPersist) this.send(message, true);
    if (ready.snapshot !== null) host.sm.restore(ready.snapshot);
    if (ready.committedEntries.length > 0) {
      for (const entry of ready.committedEntries) host.sm.apply(entry);
      this.print(`${id} apply ${ready.committedEntries.map(describeEntry).join(', ')}`);
    }
    for (const readState of ready.readStates) {
      host.pendingReads.set(readState.requestId, readState.index);
      this.print(`${id} read ${readState.requestId} may be served at index ${readState.index}`);
    }
    this.serveReads(host);
    node.advance(ready);
  }

  private serveReads(host: ScriptNode): void {
    for (const [requestId, index] of host.pendingReads) {
      if (index < 0 || index > host.sm.applied) continue;
      host.pendingReads.delete(requestId);
      this.print(`${host.id} read ${requestId} served (applied ${host.sm.applied})`);
    }
  }

  private status(): void {
    for (const host of this.sortedHosts()) {
      if (host.node === null) {
        this.print(`${host.id}: crashed`);
        continue;
      }
      const s = host.node.status();
      const conf = `voters=[${s.conf.voters.join(' ')}] learners=[${s.conf.learners.join(' ')}]`;
      this.print(
        `${host.id}: ${s.role} term=${s.term} vote=${s.vote ?? '-'} leader=${s.leader ?? '-'} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} ${conf}`,
      );
      if (s.progress !== null) {
        for (const [peer, p] of [...s.progress.entries()].sort((a, b) =>
          a[0].localeCompare(b[0], 'en', { numeric: true }),
        )) {
          if (peer === host.id) continue;
          this.print(
            `  ${peer}: ${p.state} match=${p.match} next=${p.next}${p.learner ? ' learner' : ''}`,
          );
        }
      }
    }
  }

  private log(arg: string | undefined): void {
    const host = this.host(arg);
    const storage = host.storage;
    const snap = storage.snapshot().meta;
    if (snap.index > 0) this.print(`snapshot ${snap.index}/t${snap.term}`);
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    if (last < first) {
      this.print('(no entries)');
      return;
    }
    for (const entry of storage.entries(first, logIndex(last + 1), Number.MAX_SAFE_INTEGER))
      this.print(describeEntry(entry));
  }
}

export function describeEntry(entry: Entry): string {
  const head = `${entry.index}/t${entry.term}`;
  switch (entry.kind) {
    case 'noop':
      return `${head} noop`;
    case 'config': {
      const change = decodeConfChange(entry.data);
      return `${head} conf ${change.type} ${change.node}`;
    }
    case 'normal':
      return `${head} "${new TextDecoder().decode(entry.data)}"`;
  }
}
