import { assert, nodeId, SeededRng } from '../../lib/index.ts';
import type { LogIndex, NodeId, Rng } from '../../lib/index.ts';
import type { StateMachine } from '../../lib/index.ts';
import type { EngineResult } from '../../engine/index.ts';
import { EventQueue } from '../event-queue.ts';
import { Network } from '../network.ts';
import type { NetworkProfile } from '../network.ts';
import type { MemoryStorage, Message, RaftConfig } from '../raft.ts';
import { ELECTION_TICKS, HEARTBEAT_TICKS, TICK_UNITS } from '../schedule.ts';
import { FaultCounters } from '../stats.ts';
import { EngineHost, emptyHostCounters } from './engine-host.ts';
import type {
  ApplyKnobs,
  ApplyObserver,
  EngineHostEnvironment,
  HostCounters,
} from './engine-host.ts';

/** Events in flight at once; far above what a run produces, it only catches a runaway. */
const MAX_QUEUED_EVENTS = 1_000_000;
/** Trace lines kept for a failure report. */
const TRACE_LINES_KEPT = 200;

type WorldEvent =
  | {
      readonly time: number;
      readonly sequence: number;
      readonly kind: 'tick';
      readonly host: EngineHost;
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
      readonly run: () => void | Promise<void>;
    };

/** How hostile a run is; drawn per seed. */
export interface EngineFaultProfile {
  readonly name: string;
  readonly network: NetworkProfile;
  readonly faultGapTicks: readonly [number, number];
  readonly downTicks: readonly [number, number];
  readonly partitionTicks: readonly [number, number];
  /** Chance that a node crashes between applying a run into its overlay and committing it. */
  readonly crashBeforeCommitRate: number;
  /** Most a node's clock is off, either way. */
  readonly clockSkewMaxMs: number;
  /** Relative weights of crash-a-node, crash-the-leader and partition. */
  readonly weights: {
    readonly crash: number;
    readonly crashLeader: number;
    readonly partition: number;
  };
}

const LAN: NetworkProfile = {
  dropRate: 0.02,
  duplicateRate: 0.02,
  delayRate: 0.03,
  delayMaxUnits: 200,
  latencyMinUnits: 1,
  latencyMaxUnits: 12,
};

export const ENGINE_FAULT_PROFILES: readonly EngineFaultProfile[] = [
  {
    name: 'mixed',
    network: LAN,
    faultGapTicks: [20, 80],
    downTicks: [5, 100],
    partitionTicks: [10, 120],
    crashBeforeCommitRate: 0.01,
    clockSkewMaxMs: 2_000,
    weights: { crash: 3, crashLeader: 2, partition: 3 },
  },
  {
    name: 'lossy',
    network: { ...LAN, dropRate: 0.12, duplicateRate: 0.1, delayRate: 0.1, delayMaxUnits: 300 },
    faultGapTicks: [30, 100],
    downTicks: [5, 80],
    partitionTicks: [10, 80],
    crashBeforeCommitRate: 0.005,
    clockSkewMaxMs: 500,
    weights: { crash: 1, crashLeader: 1, partition: 2 },
  },
  {
    name: 'crashy',
    network: LAN,
    faultGapTicks: [8, 40],
    downTicks: [2, 60],
    partitionTicks: [10, 60],
    crashBeforeCommitRate: 0.03,
    clockSkewMaxMs: 5_000,
    weights: { crash: 5, crashLeader: 4, partition: 1 },
  },
  {
    name: 'calm',
    network: { ...LAN, dropRate: 0, duplicateRate: 0, delayRate: 0 },
    faultGapTicks: [1_000_000, 1_000_001],
    downTicks: [1, 2],
    partitionTicks: [1, 2],
    crashBeforeCommitRate: 0,
    clockSkewMaxMs: 0,
    weights: { crash: 1, crashLeader: 0, partition: 0 },
  },
];

export interface WorldOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly profile: EngineFaultProfile;
  readonly knobs: ApplyKnobs;
  readonly observer: ApplyObserver;
  readonly makeEngine: (host: EngineHost) => StateMachine<EngineResult>;
}

/**
 * The simulated world for the engine: engine hosts on the simulator's faulty network (src/sim
 * network.ts), one clock and one queue of timed events, all from one SeededRng. Unlike the Raft
 * simulator's cluster, events may be asynchronous (an apply run awaits the engine); the world
 * awaits each before the next, so a seed still replays exactly.
 */
export class EngineWorld implements EngineHostEnvironment {
  readonly rng: Rng;
  readonly network: Network;
  readonly faults = new FaultCounters();
  readonly hosts: EngineHost[] = [];
  readonly knobs: ApplyKnobs;
  readonly observer: ApplyObserver;
  readonly profile: EngineFaultProfile;
  readonly trace: string[] = [];
  readonly counters: HostCounters = emptyHostCounters();
  readonly makeEngine: (host: EngineHost) => StateMachine<EngineResult>;
  faultsEnabled = true;
  messagesDelivered = 0;
  private readonly queue = new EventQueue<WorldEvent>(MAX_QUEUED_EVENTS);
  private sequence = 0;
  private time = 0;
  private partitionEpoch = 0;

  constructor(options: WorldOptions) {
    this.rng = new SeededRng(options.seed);
    this.profile = options.profile;
    this.knobs = options.knobs;
    this.observer = options.observer;
    this.makeEngine = options.makeEngine;
    this.network = new Network(this.rng, options.profile.network, this.faults);
    const voters = Array.from({ length: options.nodes }, (_, k) => nodeId(`n${k + 1}`));
    for (const id of voters) {
      const host = new EngineHost(id, { voters, learners: [] }, this);
      host.clockOffsetMs = this.rng.int(
        -options.profile.clockSkewMaxMs,
        options.profile.clockSkewMaxMs + 1,
      );
      this.hosts.push(host);
      host.start();
      this.push({ time: this.rng.int(1, TICK_UNITS + 1), sequence: 0, kind: 'tick', host });
    }
  }

  // EngineHostEnvironment

  now(): number {
    return this.time;
  }

  send(message: Message): void {
    for (const delay of this.network.route(message)) {
      this.push({ time: this.time + delay, sequence: 0, kind: 'deliver', message });
    }
  }

  at(delayUnits: number, _label: string, run: () => void | Promise<void>): void {
    this.push({ time: this.time + delayUnits, sequence: 0, kind: 'action', run });
  }

  raftConfig(id: NodeId, storage: MemoryStorage, applied: LogIndex, rng: Rng): RaftConfig {
    return {
      id,
      storage,
      rng,
      heartbeatTicks: HEARTBEAT_TICKS,
      electionTicks: ELECTION_TICKS,
      applied,
      preVote: true,
      checkQuorum: true,
      maxMessageBytes: 64 * 1024,
      maxInflightMessages: 16,
      maxUncommittedBytes: 1 << 20,
      maxCommittedBytesPerReady: 16 * 1024,
    };
  }

  crashBeforeCommit(host: EngineHost): boolean {
    const rate = this.profile.crashBeforeCommitRate;
    if (!this.faultsEnabled || rate === 0 || this.rng.next() >= rate) return false;
    if (this.hosts.filter((other) => other.node === null).length >= this.maxDown) return false;
    this.faults.count('crashBeforeCommit');
    this.crashFor(host, 'after applying a run, before committing it');
    return true;
  }

  private get maxDown(): number {
    return Math.floor((this.hosts.length - 1) / 2);
  }

  nodeRng(): Rng {
    return new SeededRng(this.rng.int(0, 0x7fffffff));
  }

  note(text: string): void {
    this.trace.push(`${this.time.toString().padStart(7)} ${text}`);
    if (this.trace.length > TRACE_LINES_KEPT * 2)
      this.trace.splice(0, this.trace.length - TRACE_LINES_KEPT);
  }

  // Driving

  get ticks(): number {
    return Math.floor(this.time / TICK_UNITS);
  }

  /** Runs events until simulated time passes `untilUnits` or `stop()` says so. */
  async runUntil(untilUnits: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      const event = this.queue.peek();
      if (event === undefined || event.time > untilUnits || stop()) return;
      this.queue.pop();
      assert(event.time >= this.time, 'simulated time went backwards');
      this.time = event.time;
      await this.runEvent(event);
    }
  }

  /** The live node that believes it leads in the highest term, as a client following hints finds it. */
  leader(): EngineHost | null {
    let best: EngineHost | null = null;
    for (const host of this.hosts) {
      if (host.node === null || host.leaderTerm === 0) continue;
      if (best === null || host.leaderTerm > best.leaderTerm) best = host;
    }
    return best;
  }

  startFaults(): void {
    const [low, high] = this.profile.faultGapTicks;
    this.at(this.rng.int(low, high + 1) * TICK_UNITS, 'fault', () => {
      if (!this.faultsEnabled) return;
      this.injectFault();
      this.startFaults();
    });
  }

  /** Ends the fault phase: heals the network, restarts every crashed node. */
  healAll(): void {
    this.faultsEnabled = false;
    this.network.heal();
    this.network.profile = { ...this.network.profile, dropRate: 0, duplicateRate: 0, delayRate: 0 };
    for (const host of this.hosts) if (host.node === null) host.start();
    this.note('HEAL all faults; restart every crashed node');
  }

  private injectFault(): void {
    const { crash, crashLeader, partition } = this.profile.weights;
    let roll = this.rng.next() * (crash + crashLeader + partition);
    const down = this.hosts.filter((host) => host.node === null).length;
    const maxDown = this.maxDown;
    if ((roll -= crash) < 0) {
      const live = this.hosts.filter((host) => host.node !== null);
      if (down < maxDown && live.length > 0)
        this.crashFor(live[this.rng.int(0, live.length)]!, 'nemesis');
      return;
    }
    if ((roll -= crashLeader) < 0) {
      const leader = this.leader();
      if (leader !== null && down < maxDown) this.crashFor(leader, 'nemesis: the leader');
      return;
    }
    this.partition();
  }

  private crashFor(host: EngineHost, why: string): void {
    this.faults.count('crash');
    host.crash(why);
    const [low, high] = this.profile.downTicks;
    this.at(this.rng.int(low, high + 1) * TICK_UNITS, 'restart', () => {
      if (host.node === null) host.start();
    });
  }

  private partition(): void {
    this.faults.count('partition');
    const shuffled = [...this.hosts];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const minority = shuffled.slice(0, this.rng.int(1, Math.floor(this.hosts.length / 2) + 1));
    const majority = shuffled.filter((host) => !minority.includes(host));
    this.network.heal();
    this.network.partition([minority.map((host) => host.id), majority.map((host) => host.id)]);
    const epoch = ++this.partitionEpoch;
    this.note(`PARTITION ${this.network.describeBlocked()}`);
    const [low, high] = this.profile.partitionTicks;
    this.at(this.rng.int(low, high + 1) * TICK_UNITS, 'heal', () => {
      if (epoch !== this.partitionEpoch) return;
      this.network.heal();
      this.note('HEAL partition');
    });
  }

  private push(event: WorldEvent): void {
    this.queue.push({ ...event, sequence: this.sequence++ });
  }

  private async runEvent(event: WorldEvent): Promise<void> {
    switch (event.kind) {
      case 'tick': {
        this.push({
          time: this.time + this.rng.int(TICK_UNITS - 2, TICK_UNITS + 3),
          sequence: 0,
          kind: 'tick',
          host: event.host,
        });
        event.host.tick();
        return;
      }
      case 'deliver': {
        const host = this.hosts.find((candidate) => candidate.id === event.message.to);
        if (host?.node == null) return;
        if (this.network.isBlocked(event.message.from, event.message.to)) {
          this.faults.count('partitionDrop');
          return;
        }
        this.messagesDelivered++;
        host.deliver(event.message);
        return;
      }
      case 'action':
        await event.run();
        return;
    }
  }
}
