import { assert, nodeId, SeededRng } from '../lib/index.ts';
import type { LogIndex, NodeId, Rng } from '../lib/index.ts';
import type {
  ConfState,
  Message,
  RaftConfig,
  RaftStatus,
  RaftStorage,
  RaftTestingBugs,
  Ready,
} from './raft.ts';
import { Checker } from './checker.ts';
import { EventQueue } from './event-queue.ts';
import { Network } from './network.ts';
import { NodeHost } from './node-host.ts';
import type { HostBugs, HostEnvironment, Proposal } from './node-host.ts';
import { ELECTION_TICKS, HEARTBEAT_TICKS, TICK_UNITS } from './schedule.ts';
import type { CoreKnobs, FaultProfile } from './schedule.ts';
import { emptyStats } from './stats.ts';
import type { RunStats } from './stats.ts';
import { isMember } from './state-machine.ts';
import { Trace } from './trace.ts';

/** Events in flight at once; far above what a run produces, it only catches a runaway. */
const MAX_QUEUED_EVENTS = 1_000_000;

export type SimEvent =
  | {
      readonly time: number;
      readonly sequence: number;
      readonly kind: 'tick';
      readonly host: NodeHost;
    }
  | {
      readonly time: number;
      readonly sequence: number;
      readonly kind: 'deliver';
      readonly message: Message;
    }
  | {
      readonly time: number;
      readonly sequence: number;
      readonly kind: 'action';
      readonly label: string;
      readonly run: () => void;
    };

export interface ClusterOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly profile: FaultProfile;
  readonly knobs: CoreKnobs;
  readonly bugs?: RaftTestingBugs;
  readonly hostBugs?: HostBugs;
  /** Whether each tick lands a unit early or late at random (true) or exactly on its period. */
  readonly tickJitter?: boolean;
  /** Most a node's clock runs fast or slow, in units per tick (each node draws its own rate). */
  readonly clockSkewUnits?: number;
}

/**
 * The whole simulated world: hosts, network, a clock and one queue of timed events, all driven
 * by one SeededRng. `step()` runs exactly one event, then shows the checker every node it touched.
 */
export class Cluster implements HostEnvironment {
  readonly rng: Rng;
  readonly checker = new Checker();
  readonly stats: RunStats = emptyStats();
  readonly trace = new Trace(TICK_UNITS);
  readonly network: Network;
  readonly hosts = new Map<NodeId, NodeHost>();
  readonly initialConf: ConfState;
  readonly profile: FaultProfile;
  readonly knobs: CoreKnobs;
  /** Membership as of the highest applied config entry anywhere (it is committed). */
  committedConf: ConfState;
  crashBeforePersistRate: number;
  faultsEnabled = true;
  readonly hostBugs: HostBugs;
  readonly persistence: { readonly maxInFlightReadies: number; readonly delayMaxUnits: number };
  private committedConfIndex = 0;
  private readonly queue = new EventQueue<SimEvent>(MAX_QUEUED_EVENTS);
  private sequence = 0;
  private time = 0;
  private readonly touched = new Set<NodeHost>();
  private readonly pendingShutdown: NodeHost[] = [];
  private readonly bugs: RaftTestingBugs | undefined;
  private readonly tickJitter: boolean;
  private readonly clockSkewUnits: number;
  /** Each node's own tick period in units: clocks drift apart, not just jitter. */
  private readonly tickPeriod = new Map<NodeHost, number>();
  /** When each sent message left, and when each rejoined id started again: see fromEarlierIncarnation. */
  private readonly sentAt = new WeakMap<Message, number>();
  private readonly rejoinedAt = new Map<NodeId, number>();
  private nextNodeNumber: number;
  proposalListener: ((proposal: Proposal, acknowledged: boolean) => void) | null = null;

  constructor(options: ClusterOptions) {
    this.rng = new SeededRng(options.seed);
    this.profile = options.profile;
    this.knobs = options.knobs;
    this.bugs = options.bugs;
    this.tickJitter = options.tickJitter ?? true;
    this.clockSkewUnits = options.clockSkewUnits ?? 1;
    this.crashBeforePersistRate = options.profile.crashBeforePersistRate;
    this.hostBugs = options.hostBugs ?? {};
    this.persistence = {
      maxInFlightReadies: options.knobs.maxInFlightReadies,
      delayMaxUnits: options.knobs.persistDelayMaxUnits,
    };
    this.network = new Network(this.rng, options.profile.network, this.stats.faults);
    const voters = Array.from({ length: options.nodes }, (_, k) => nodeId(`n${k + 1}`));
    this.initialConf = { voters, learners: [] };
    this.committedConf = this.initialConf;
    this.nextNodeNumber = options.nodes + 1;
    for (const id of voters) this.addHost(id).start();
  }

  // HostEnvironment

  now(): number {
    return this.time;
  }

  get snapshotEveryEntries(): number {
    return this.knobs.snapshotEveryEntries;
  }

  get snapshotRetainEntries(): number {
    return this.knobs.snapshotRetainEntries;
  }

  send(message: Message): void {
    this.checker.onSend(message);
    this.sentAt.set(message, this.time);
    const delays = this.network.route(message);
    for (const delay of delays) {
      this.push({ time: this.time + delay, sequence: 0, kind: 'deliver', message });
    }
    if (delays.length > 0) return;
    // A real transport notices some failed sends (a refused connection) and tells the core.
    if (message.type === 'snapshot') this.reportSnapshot(message, 'failed');
    else if (this.network.isBlocked(message.from, message.to) && this.rng.next() < 0.5)
      this.reportUnreachable(message);
  }

  /** The transport's verdict on a snapshot send reaches the leader a little later. */
  private reportSnapshot(message: Message, outcome: 'finished' | 'failed'): void {
    const sender = this.hosts.get(message.from);
    if (sender === undefined) return;
    const incarnation = sender.incarnation;
    this.at(TICK_UNITS, `snapshot ${outcome}`, () => {
      if (sender.node === null || sender.incarnation !== incarnation) return;
      this.stats.faults.count(`snapshotReport:${outcome}`);
      sender.node.reportSnapshot(message.to, outcome);
      sender.processReady();
      this.touch(sender);
    });
  }

  /** Deferred to its own event: the sender is in the middle of handling a Ready right now. */
  private reportUnreachable(message: Message): void {
    const sender = this.hosts.get(message.from);
    if (sender === undefined) return;
    const incarnation = sender.incarnation;
    this.at(0, 'unreachable', () => {
      if (sender.node === null || sender.incarnation !== incarnation) return;
      this.stats.faults.count('reportUnreachable');
      sender.node.reportUnreachable(message.to);
      sender.processReady();
      this.touch(sender);
    });
  }

  crashBeforePersist(host: NodeHost, ready: Ready): boolean {
    if (!this.faultsEnabled) return false;
    if (ready.hardState === null && ready.entries.length === 0) return false;
    const changesVote =
      ready.hardState?.vote != null &&
      ready.hardState.vote !== host.storage.initialState().hardState.vote;
    const rate = changesVote
      ? (this.profile.crashBeforePersistVoteRate ?? this.crashBeforePersistRate)
      : this.crashBeforePersistRate;
    if (rate === 0 || this.rng.next() >= rate) return false;
    this.stats.faults.count('crashBeforePersist');
    this.scheduleRestart(host, this.rng.int(1, this.profile.downTicks[1] + 1));
    return true;
  }

  raftConfig(id: NodeId, storage: RaftStorage, applied: LogIndex, rng: Rng): RaftConfig {
    const config: RaftConfig = {
      id,
      storage,
      rng,
      heartbeatTicks: HEARTBEAT_TICKS,
      electionTicks: ELECTION_TICKS,
      applied,
      preVote: true,
      checkQuorum: true,
      maxMessageBytes: this.knobs.maxMessageBytes,
      maxInflightMessages: this.knobs.maxInflightMessages,
      maxUncommittedBytes: this.knobs.maxUncommittedBytes,
      maxCommittedBytesPerReady: this.knobs.maxCommittedBytesPerReady,
    };
    return this.bugs === undefined ? config : { ...config, testingBugs: this.bugs };
  }

  nodeRng(): Rng {
    return new SeededRng(this.rng.int(0, 0x7fffffff));
  }

  onProposalResolved(proposal: Proposal, acknowledged: boolean): void {
    if (acknowledged) {
      this.checker.onAcknowledged(proposal.index, proposal.term);
      this.stats.proposalsAcknowledged++;
    } else {
      this.stats.proposalsFailed++;
      this.stats.proposalFailures.count('acceptedButNotCommitted');
    }
    this.proposalListener?.(proposal, acknowledged);
  }

  onConfigApplied(index: number, conf: ConfState): void {
    if (index <= this.committedConfIndex) return;
    const before = this.committedConf;
    this.committedConfIndex = index;
    this.committedConf = conf;
    for (const id of before.voters.concat(before.learners)) {
      const host = this.hosts.get(id);
      if (host === undefined || isMember(conf, id)) continue;
      if (this.profile.removedRunUntilFoundOut === true) this.findOutLater(host);
      else this.pendingShutdown.push(host);
    }
  }

  // Driving

  get ticks(): number {
    return Math.floor(this.time / TICK_UNITS);
  }

  /** Runs one event. Returns false when nothing is left to run (never in practice: ticks recur). */
  step(): boolean {
    const event = this.queue.pop();
    if (event === undefined) return false;
    assert(event.time >= this.time, 'simulated time went backwards');
    this.time = event.time;
    this.stats.steps++;
    this.runEvent(event);
    for (const host of this.pendingShutdown) this.shutdown(host);
    this.pendingShutdown.length = 0;
    for (const host of this.touched) {
      if (host.node === null) continue;
      const wasLeader = host.lastRole === 'leader';
      const commitBefore = host.lastCommit;
      const status = host.node.status();
      this.checker.observe(host, status);
      if (status.role === 'leader' && this.faultsEnabled)
        this.maybeKillLeader(host, status, wasLeader, commitBefore);
    }
    this.touched.clear();
    return true;
  }

  at(delayUnits: number, label: string, run: () => void): void {
    this.push({ time: this.time + delayUnits, sequence: 0, kind: 'action', label, run });
  }

  touch(host: NodeHost): void {
    this.touched.add(host);
  }

  liveHosts(): NodeHost[] {
    const live: NodeHost[] = [];
    for (const host of this.hosts.values()) if (host.node !== null) live.push(host);
    return live;
  }

  /** The live node that believes it leads in the highest term, as a client following hints finds it. */
  leader(): NodeHost | null {
    let best: NodeHost | null = null;
    let bestTerm = -1;
    for (const host of this.hosts.values()) {
      if (host.node === null || host.lastRole !== 'leader') continue;
      if (host.lastTerm > bestTerm) {
        best = host;
        bestTerm = host.lastTerm;
      }
    }
    return best;
  }

  /**
   * A new, empty node, as `baton server --join` starts one: it knows no membership at all, not
   * even the founders', and takes the cluster's from the leader once the leader adds it.
   */
  spawnNode(): NodeHost {
    const host = this.addHost(nodeId(`n${this.nextNodeNumber++}`), { voters: [], learners: [] });
    host.start();
    return host;
  }

  /**
   * A removed node brought back the way the README says: its data wiped, started with `--join`
   * under the same id (the leader then adds it again).
   */
  rejoin(removed: NodeHost): NodeHost {
    assert(removed.removed, () => `${removed.id} was not removed`);
    return this.startWiped(removed, 'to rejoin');
  }

  /** A crashed member comes back with its disk wiped, under the same id, with `--join`. */
  scheduleWipedRestart(host: NodeHost, afterTicks: number): void {
    this.at(afterTicks * TICK_UNITS, `restart ${host.id} wiped`, () => {
      if (host.node !== null || host.removed || this.hosts.get(host.id) !== host) return;
      // Still the only trouble? Otherwise its disk survived after all (a plain restart).
      if (this.othersHoldTheirData(host)) this.startWiped(host, 'as a member');
      else this.restart(host);
    });
  }

  /**
   * A lost disk is one failure: the cluster tolerates it when it is the only one. Every member
   * other than `host` is up and holds its data, and no membership change is in flight (every
   * member's latest configuration is the committed one) — with one in flight, members count
   * different voters, and a wiped voter's missing vote can leave no candidate a quorum.
   */
  othersHoldTheirData(host: NodeHost): boolean {
    const conf = this.committedConf;
    for (const id of [...conf.voters, ...conf.learners]) {
      const other = this.hosts.get(id);
      if (other === host) continue;
      if (other === undefined || other.removed || other.node === null || !other.hasBase)
        return false;
      if (!sameConf(other.node.status().conf, conf)) return false;
    }
    return true;
  }

  private startWiped(old: NodeHost, why: string): NodeHost {
    // The old host object stays behind, inert: its ticks stop and nothing routes to it.
    old.removed = true;
    const host = this.addHost(old.id, { voters: [], learners: [] });
    this.rejoinedAt.set(old.id, this.time);
    // Its votes stay on record with the checker: a node with no base never votes
    // (src/raft/node.ts), so the new incarnation must not vote twice in a term.
    this.checker.forget(old);
    host.start();
    this.stats.faults.count('wipe');
    this.trace.note(this.time, `${old.id} wiped and started again ${why}`);
    return host;
  }

  /**
   * Sent to or by a node's earlier incarnation. Those travel on connections that died with it:
   * a real transport never hands them to the process that replaced it, however late.
   */
  private fromEarlierIncarnation(message: Message): boolean {
    const sent = this.sentAt.get(message) ?? 0;
    const fromCut = this.rejoinedAt.get(message.from);
    const toCut = this.rejoinedAt.get(message.to);
    return (fromCut !== undefined && sent < fromCut) || (toCut !== undefined && sent < toCut);
  }

  scheduleRestart(host: NodeHost, afterTicks: number): void {
    this.at(afterTicks * TICK_UNITS, `restart ${host.id}`, () => {
      if (host.node === null && !host.removed) this.restart(host);
    });
  }

  restart(host: NodeHost): void {
    host.start();
    this.touch(host);
  }

  crash(host: NodeHost, why: string): void {
    host.crash(why);
    this.checker.forget(host);
  }

  /** Targeted crashes for the Figure 8 hunt: a leader dies inside the window that matters. */
  private maybeKillLeader(
    host: NodeHost,
    status: RaftStatus,
    wasLeader: boolean,
    commitBefore: number,
  ): void {
    const profile = this.profile;
    const justElected = !wasLeader && (profile.killNewLeaderRate ?? 0) > this.rng.next();
    const justCommitted =
      wasLeader &&
      status.commit > commitBefore &&
      status.lastIndex > status.commit &&
      (profile.killLeaderOnCommitRate ?? 0) > this.rng.next();
    if (!justElected && !justCommitted) return;
    this.stats.faults.count(justElected ? 'killNewLeader' : 'killLeaderOnCommit');
    this.crash(host, justElected ? 'killed right after election' : 'killed right after commit');
    this.scheduleRestart(
      host,
      this.rng.int(this.profile.downTicks[0], this.profile.downTicks[1] + 1),
    );
  }

  onOwnRemovalApplied(host: NodeHost): void {
    if (!host.removed && host.removalPending) this.stats.faults.count('removalFoundOut:ownLog');
    this.pendingShutdown.push(host);
  }

  /**
   * A removed node that has not applied its removal finds out from its removal probe: once it
   * has heard no leader for two election timeouts, it asks a peer, one election timeout apart
   * (src/api/removal-probe.ts). Until then it runs: it may campaign, believe it still leads, or be
   * down and restart on its data.
   */
  private findOutLater(host: NodeHost): void {
    if (host.removed || host.removalPending) return;
    host.removalPending = true;
    const delayTicks = this.rng.int(2 * ELECTION_TICKS, 4 * ELECTION_TICKS + 1);
    this.at(delayTicks * TICK_UNITS, `${host.id} finds out it was removed`, () => {
      if (this.hosts.get(host.id) !== host || host.removed) return;
      this.stats.faults.count('removalFoundOut:probe');
      this.shutdown(host);
    });
  }

  private shutdown(host: NodeHost): void {
    if (host.removed) return;
    host.removed = true;
    this.crash(host, 'removed from the cluster');
  }

  private addHost(id: NodeId, bootstrap: ConfState = this.initialConf): NodeHost {
    const host = new NodeHost(id, bootstrap, this);
    this.hosts.set(id, host);
    const skew = this.clockSkewUnits;
    this.tickPeriod.set(host, TICK_UNITS + (skew > 0 ? this.rng.int(-skew, skew + 1) : 0));
    this.push({
      time: this.time + this.rng.int(1, TICK_UNITS + 1),
      sequence: 0,
      kind: 'tick',
      host,
    });
    return host;
  }

  private push(event: SimEvent): void {
    this.queue.push({ ...event, sequence: this.sequence++ });
  }

  private runEvent(event: SimEvent): void {
    switch (event.kind) {
      case 'tick':
        this.runTick(event.host);
        return;
      case 'deliver':
        this.runDelivery(event.message);
        return;
      case 'action':
        event.run();
        return;
    }
  }

  private runTick(host: NodeHost): void {
    if (host.removed) return;
    if (host.pausedUntil > this.time) {
      this.push({ time: host.pausedUntil, sequence: 0, kind: 'tick', host });
      return;
    }
    const period = this.tickPeriod.get(host) ?? TICK_UNITS;
    const next = this.tickJitter ? period + this.rng.int(-1, 2) : period;
    this.push({ time: this.time + next, sequence: 0, kind: 'tick', host });
    if (host.node === null) return;
    host.tick();
    host.expireReads(4 * ELECTION_TICKS * TICK_UNITS);
    this.touch(host);
  }

  private runDelivery(message: Message): void {
    if (this.fromEarlierIncarnation(message)) {
      this.stats.faults.count('staleIncarnationDrop');
      if (message.type === 'snapshot') this.reportSnapshot(message, 'failed');
      return;
    }
    const host = this.hosts.get(message.to);
    if (host?.node == null || host.removed || this.network.isBlocked(message.from, message.to)) {
      if (host?.node != null && !host.removed) this.stats.faults.count('partitionDrop');
      if (message.type === 'snapshot') this.reportSnapshot(message, 'failed');
      return;
    }
    if (host.pausedUntil > this.time) {
      this.push({
        time: host.pausedUntil + this.rng.int(0, TICK_UNITS),
        sequence: 0,
        kind: 'deliver',
        message,
      });
      return;
    }
    this.stats.messagesDelivered++;
    this.trace.deliver(this.time, message);
    host.deliver(message);
    this.touch(host);
    if (message.type === 'snapshot') this.reportSnapshot(message, 'finished');
  }
}

function sameConf(a: ConfState, b: ConfState): boolean {
  const key = (c: ConfState): string =>
    `${[...c.voters].sort().join(',')}|${[...c.learners].sort().join(',')}`;
  return key(a) === key(b);
}
