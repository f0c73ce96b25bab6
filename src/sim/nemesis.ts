import { BatonError } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import type { ConfChange } from './raft.ts';
import type { Cluster } from './cluster.ts';
import type { NodeHost } from './node-host.ts';
import { TICK_UNITS } from './schedule.ts';
import type { FaultWeights } from './schedule.ts';

/** Voter counts the membership churn stays within. */
const MIN_VOTERS = 3;
const MAX_VOTERS = 5;
/** A learner is promoted once its match index is within this many entries of the leader's commit. */
const CAUGHT_UP_ENTRIES = 5;

type FaultKind = keyof FaultWeights;

/**
 * The fault injector: at random gaps it partitions, crashes, pauses, transfers leadership and
 * changes membership, all from the cluster's Rng. `stop()` ends the fault phase; `healAll()`
 * undoes every standing fault for the liveness phase.
 */
export class Nemesis {
  private readonly cluster: Cluster;
  private active = true;
  private partitionEpoch = 0;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  start(): void {
    this.scheduleNext();
  }

  stop(): void {
    this.active = false;
  }

  healAll(): void {
    const cluster = this.cluster;
    cluster.faultsEnabled = false;
    cluster.network.heal();
    cluster.network.profile = {
      ...cluster.network.profile,
      dropRate: 0,
      duplicateRate: 0,
      delayRate: 0,
    };
    for (const host of cluster.hosts.values()) {
      host.pausedUntil = 0;
      if (host.node === null && !host.removed) cluster.restart(host);
    }
    cluster.trace.note(cluster.now(), 'HEAL all faults; restart every crashed node');
  }

  private scheduleNext(): void {
    const [low, high] = this.cluster.profile.faultGapTicks;
    this.cluster.at(this.cluster.rng.int(low, high + 1) * TICK_UNITS, 'fault', () => {
      if (!this.active) return;
      this.inject(this.pickKind());
      this.scheduleNext();
    });
  }

  private pickKind(): FaultKind {
    const weights = this.cluster.profile.weights;
    const kinds = Object.keys(weights) as FaultKind[];
    const total = kinds.reduce((sum, kind) => sum + weights[kind], 0);
    let roll = this.cluster.rng.next() * total;
    for (const kind of kinds) {
      roll -= weights[kind];
      if (roll < 0) return kind;
    }
    return 'crash';
  }

  private inject(kind: FaultKind): void {
    switch (kind) {
      case 'partition':
        this.partition();
        return;
      case 'isolateLeader':
        this.isolateLeader();
        return;
      case 'crash':
        this.crash();
        return;
      case 'pause':
        this.pause();
        return;
      case 'transfer':
        this.transfer();
        return;
      case 'membership':
        this.changeMembership();
        return;
    }
  }

  private members(): NodeId[] {
    const ids: NodeId[] = [];
    for (const host of this.cluster.hosts.values()) if (!host.removed) ids.push(host.id);
    return ids;
  }

  private shuffled<T>(values: T[]): T[] {
    const rng = this.cluster.rng;
    for (let i = values.length - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      [values[i], values[j]] = [values[j]!, values[i]!];
    }
    return values;
  }

  private partition(): void {
    const cluster = this.cluster;
    const ids = this.shuffled(this.members());
    const style = cluster.rng.int(0, 3);
    cluster.network.heal();
    if (style === 0) {
      const cut = cluster.rng.int(1, ids.length);
      cluster.network.partition([ids.slice(0, cut), ids.slice(cut)]);
      cluster.stats.faults.count('partition');
    } else if (style === 1) {
      // Asymmetric: some directed links fail while their reverse works.
      const links = cluster.rng.int(1, ids.length + 1);
      for (let k = 0; k < links; k++) {
        const from = ids[cluster.rng.int(0, ids.length)]!;
        const to = ids[cluster.rng.int(0, ids.length)]!;
        if (from !== to) cluster.network.block(from, to);
      }
      cluster.stats.faults.count('asymmetricPartition');
    } else {
      // A bridge: two sides that only one node can reach both of.
      const bridge = ids[0]!;
      const rest = ids.slice(1);
      const cut = Math.ceil(rest.length / 2);
      cluster.network.partition([rest.slice(0, cut), rest.slice(cut)]);
      cluster.stats.faults.count('bridgePartition');
      cluster.trace.note(cluster.now(), `bridge ${bridge}`);
    }
    this.noteAndScheduleHeal();
  }

  private isolateLeader(): void {
    const cluster = this.cluster;
    const leader = cluster.leader();
    if (leader === null) return;
    const others = this.members().filter((id) => id !== leader.id);
    cluster.network.heal();
    // Sometimes a follower stays with the old leader: it keeps entries the majority lacks.
    const companions = others.length >= 4 && cluster.rng.next() < 0.5 ? 1 : 0;
    const shuffled = this.shuffled(others);
    cluster.network.partition([
      [leader.id, ...shuffled.slice(0, companions)],
      shuffled.slice(companions),
    ]);
    cluster.stats.faults.count('isolateLeader');
    this.noteAndScheduleHeal();
  }

  private noteAndScheduleHeal(): void {
    const cluster = this.cluster;
    cluster.trace.note(cluster.now(), `PARTITION ${cluster.network.describeBlocked()}`);
    const epoch = ++this.partitionEpoch;
    const [low, high] = cluster.profile.partitionTicks;
    cluster.at(cluster.rng.int(low, high + 1) * TICK_UNITS, 'heal', () => {
      if (epoch !== this.partitionEpoch || !cluster.faultsEnabled) return;
      cluster.network.heal();
      cluster.trace.note(cluster.now(), 'HEAL partition');
    });
  }

  private crash(): void {
    const cluster = this.cluster;
    const live = cluster.liveHosts();
    // A removed node that has not found out yet is down or up outside every quorum.
    const down = [...cluster.hosts.values()].filter(
      (h) => h.node === null && !h.removed && !h.removalPending,
    ).length;
    if (live.length === 0 || down >= cluster.profile.maxDown) return;
    const leader = cluster.leader();
    const victim =
      leader !== null && cluster.rng.next() < 0.4 ? leader : live[cluster.rng.int(0, live.length)]!;
    cluster.crash(victim, 'nemesis');
    cluster.stats.faults.count('crash');
    const [low, high] = cluster.profile.downTicks;
    const after = cluster.rng.int(low, high + 1);
    const wipe =
      (cluster.profile.wipeRate ?? 0) > cluster.rng.next() && cluster.othersHoldTheirData(victim);
    if (wipe) cluster.scheduleWipedRestart(victim, after);
    else cluster.scheduleRestart(victim, after);
  }

  private pause(): void {
    const cluster = this.cluster;
    const live = cluster.liveHosts();
    if (live.length === 0) return;
    const victim = live[cluster.rng.int(0, live.length)]!;
    victim.pausedUntil = cluster.now() + cluster.rng.int(5, 80) * TICK_UNITS;
    cluster.stats.faults.count('pause');
    cluster.trace.note(
      cluster.now(),
      `PAUSE ${victim.id} until t=${victim.pausedUntil / TICK_UNITS}`,
    );
  }

  private transfer(): void {
    const cluster = this.cluster;
    const leader = cluster.leader();
    if (leader?.node == null) return;
    const voters = leader.node.status().conf.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const target = voters[cluster.rng.int(0, voters.length)]!;
    cluster.trace.note(cluster.now(), `TRANSFER leadership ${leader.id} -> ${target}`);
    leader.node.transferLeadership(target);
    leader.processReady();
    cluster.touch(leader);
    cluster.stats.faults.count('transfer');
  }

  /** One step of membership churn: promote a caught-up learner, else add or remove a node. */
  changeMembership(): void {
    const cluster = this.cluster;
    const leader = cluster.leader();
    if (leader?.node == null) return;
    const status = leader.node.status();
    const learner = status.conf.learners[0];
    if (learner !== undefined) {
      const progress = status.progress?.get(learner);
      if (progress !== undefined && progress.match + CAUGHT_UP_ENTRIES >= status.commit) {
        this.proposeChange(leader, { type: 'promote', node: learner });
      } else if (cluster.hosts.get(learner)?.alive !== true) {
        this.proposeChange(leader, { type: 'remove', node: learner });
      }
      return;
    }
    const voters = status.conf.voters;
    const grow =
      voters.length < MAX_VOTERS && (voters.length <= MIN_VOTERS || cluster.rng.next() < 0.5);
    if (grow) {
      const spare = [...cluster.hosts.values()].find(
        (h) =>
          !h.removed &&
          !h.removalPending &&
          h.alive &&
          !voters.includes(h.id) &&
          h.id !== leader.id,
      );
      const removed =
        spare === undefined && cluster.rng.next() < 0.5
          ? [...cluster.hosts.values()].find((h) => h.removed)
          : undefined;
      const newcomer = spare ?? (removed ? cluster.rejoin(removed) : cluster.spawnNode());
      if (removed) cluster.stats.faults.count('rejoin');
      // (startWiped counts it as a wipe as well.)
      this.proposeChange(leader, { type: 'addLearner', node: newcomer.id });
    } else if (voters.length > MIN_VOTERS) {
      const victim = voters[cluster.rng.int(0, voters.length)]!;
      this.proposeChange(leader, { type: 'remove', node: victim });
    }
  }

  private proposeChange(leader: NodeHost, change: ConfChange): void {
    const cluster = this.cluster;
    const node = leader.node!;
    try {
      const position = node.proposeConfChange(change);
      leader.trackProposal(`${change.type} ${change.node}`, position.index, position.term);
      cluster.stats.faults.count(`conf:${change.type}`);
      cluster.trace.note(
        cluster.now(),
        `CONF ${leader.id} proposes ${change.type} ${change.node} at ${position.index}`,
      );
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      cluster.stats.faults.count('confRejected');
    }
    leader.processReady();
    cluster.touch(leader);
  }
}
