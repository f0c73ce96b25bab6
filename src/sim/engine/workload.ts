import { BatonError } from '../../lib/index.ts';
import type { Rng } from '../../lib/index.ts';
import {
  encodeCommand,
  getTask,
  HTTP_TASK_TYPE,
  keys,
  listDueTimers,
  listNextTimers,
} from '../../engine/index.ts';
import type {
  ActivatedTask,
  Command,
  EngineResult,
  JsonValue,
  ReusePolicy,
} from '../../engine/index.ts';
import { TICK_UNITS } from '../schedule.ts';
import type { ProposalOutcome } from './engine-host.ts';
import {
  GENERATED_QUEUES,
  INVALID_DEFINITIONS,
  generatedDefinition,
  simDefinitions,
} from './definitions.ts';
import type { SimDefinition } from './definitions.ts';
import type { EngineWorld } from './world.ts';

/** Engine time: a fixed epoch plus simulated time, so timers, leases and backoffs come due in a run. */
const EPOCH_MS = 1_800_000_000_000;
export const ENGINE_MS_PER_UNIT = 25;
/** Instance ids drawn from a small pool, so starts collide (idempotent start, reuse policies). */
const INSTANCE_POOL = 30;
/** Activated tasks a worker holds at once; older ones are forgotten (a worker that died). */
const MAX_HELD_TASKS = 200;
/** A client retries a command whose outcome it does not know this many times. */
const MAX_RETRIES = 6;
/** ... after this long without an answer (the core may drop a proposal silently). */
const PROPOSAL_TIMEOUT_UNITS = 100 * TICK_UNITS;
const RETRY_DELAY_UNITS = 3 * TICK_UNITS;
/** Due timers the dispatcher fires per round. */
const TIMERS_PER_ROUND = 5;
/** Ready-queue entries the dispatcher looks at to pick a task type to lease. */
const READY_SCAN_LIMIT = 20;
/** Pending proposals at once; past it the client waits (a bounded client queue). */
const MAX_PENDING_PROPOSALS = 64;

const decoder = new TextDecoder();
/**
 * Workers put the log index of the lease they hold into every result, so the checker can tell
 * which lease a result answers, even when a reused workflow id made task ids repeat.
 */
export const LEASED_AT_FIELD = 'simLeasedAt';

interface Pending {
  readonly token: number;
  readonly label: string;
  readonly bytes: Uint8Array;
  attempts: number;
  issuedAt: number;
  readonly onResult?: (result: EngineResult, index: number) => void;
}

interface HeldTask {
  readonly task: ActivatedTask;
  /** The log index of the ActivateTasks that leased it: the worker reports it with its result. */
  readonly leasedAt: number;
  /** The worker already sent a completion or failure: sending it again is a duplicate. */
  closedWith?: Command;
}

type Action =
  | 'activate'
  | 'complete'
  | 'fail'
  | 'heartbeat'
  | 'timers'
  | 'start'
  | 'signal'
  | 'operate'
  | 'register'
  | 'prune';

const ACTION_WEIGHTS: ReadonlyArray<readonly [Action, number]> = [
  ['activate', 24],
  ['complete', 26],
  ['fail', 6],
  ['heartbeat', 4],
  ['timers', 12],
  ['start', 12],
  ['signal', 6],
  ['operate', 5],
  ['register', 2],
  ['prune', 1],
];

/** What the workload did, for the summary. */
export interface WorkloadStats {
  proposed: number;
  retries: number;
  duplicatesSent: number;
  acknowledged: number;
  rejected: number;
  unknown: number;
  readonly byType: Map<string, number>;
}

/**
 * Plays the leader's dispatcher, the clients and the workers, from its own seeded Rng: registers
 * definitions, starts workflows (colliding ids, every reuse policy), leases tasks, completes and
 * fails them (also twice, also with stale or future attempts), heartbeats, fires due timers (and
 * sometimes one that is not due), signals, cancels/terminates/pauses/resumes/retries/restarts,
 * prunes. Time, ids and seeds are chosen here, before proposing, as the engine expects. A command
 * whose outcome is unknown is sent again (client retry), so the log holds duplicates.
 */
export class Workload {
  readonly stats: WorkloadStats = {
    proposed: 0,
    retries: 0,
    duplicatesSent: 0,
    acknowledged: 0,
    rejected: 0,
    unknown: 0,
    byType: new Map(),
  };
  private readonly rng: Rng;
  private readonly definitions: SimDefinition[];
  private readonly taskTypes: string[];
  private readonly pending = new Map<number, Pending>();
  private readonly held: HeldTask[] = [];
  private nextToken = 1;
  private variant = 0;
  private registered = false;
  active = true;

  /**
   * `avoidIdReuse`: never start a new run under a used workflow id (no ALLOW_IF_CLOSED, no
   * pruning), to hunt past FINDINGS.md 1 while it is open.
   */
  constructor(
    private readonly world: EngineWorld,
    rng: Rng,
    private readonly avoidIdReuse = false,
  ) {
    this.rng = rng;
    this.definitions = simDefinitions(rng, 3);
    const types = new Set<string>(GENERATED_QUEUES);
    for (const definition of this.definitions)
      for (const type of definition.taskTypes) types.add(type);
    this.taskTypes = [...types].sort();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Starts the client loop: one action per gap, retries of unanswered commands. */
  start(gapUnits: number): void {
    const loop = async (): Promise<void> => {
      if (!this.active) return;
      await this.step();
      this.world.at(this.rng.int(1, 2 * gapUnits), 'client', loop);
    };
    this.world.at(gapUnits, 'client', loop);
    const retry = (): void => {
      this.retryStale();
      this.world.at(RETRY_DELAY_UNITS, 'client retry', retry);
    };
    this.world.at(RETRY_DELAY_UNITS, 'client retry', retry);
  }

  /** The ProposalOutcome of command `token`, from the host that proposed it. */
  onProposalResolved(token: number, outcome: ProposalOutcome): void {
    const pending = this.pending.get(token);
    if (pending === undefined) return;
    if (!outcome.ok) {
      this.stats.unknown++;
      // Outcome unknown: the entry may still commit, so the retry may duplicate it (on purpose).
      pending.issuedAt = -PROPOSAL_TIMEOUT_UNITS;
      return;
    }
    this.pending.delete(token);
    if (outcome.result.ok) this.stats.acknowledged++;
    else this.stats.rejected++;
    pending.onResult?.(outcome.result, outcome.index);
  }

  /** One client action, or registration of every definition first. */
  async step(): Promise<void> {
    if (this.pending.size >= MAX_PENDING_PROPOSALS) return;
    if (!this.registered) {
      this.registered = true;
      for (const definition of this.definitions)
        this.register(definition.source, definition.format);
      return;
    }
    await this.act(this.pickAction());
  }

  private async act(action: Action): Promise<void> {
    switch (action) {
      case 'activate':
        await this.activate();
        break;
      case 'timers':
        await this.fireTimers();
        break;
      case 'complete':
        this.complete();
        break;
      case 'fail':
        this.fail();
        break;
      case 'heartbeat':
        this.heartbeat();
        break;
      case 'start':
        this.startWorkflow();
        break;
      case 'signal':
        this.signal();
        break;
      case 'operate':
        this.operate();
        break;
      case 'register':
        this.registerSomething();
        break;
      case 'prune':
        if (this.avoidIdReuse) break;
        this.propose({
          type: 'PruneClosed',
          cutoffMs: Math.max(0, this.nowMs() - 20_000),
          maxInstances: this.rng.int(1, 5),
          nowMs: this.nowMs(),
        });
        break;
    }
  }

  /** The leader's clock: each node's is off by its own skew, so time can step back on failover. */
  private nowMs(): number {
    const offsetMs = this.world.leader()?.clockOffsetMs ?? 0;
    return EPOCH_MS + this.world.now() * ENGINE_MS_PER_UNIT + offsetMs;
  }

  private seed(): number {
    return this.rng.int(0, 0x7fffffff);
  }

  private instanceId(): string {
    return `wf${this.rng.int(0, INSTANCE_POOL)}`;
  }

  private pick<T>(values: readonly T[]): T {
    return values[this.rng.int(0, values.length)]!;
  }

  private pickAction(): Action {
    const total = ACTION_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.rng.next() * total;
    for (const [action, weight] of ACTION_WEIGHTS) {
      roll -= weight;
      if (roll < 0) return action;
    }
    return 'activate';
  }

  private register(source: string, format: 'json' | 'yaml'): void {
    this.propose({ type: 'RegisterDefinition', source, format, nowMs: this.nowMs() });
  }

  private registerSomething(): void {
    const roll = this.rng.next();
    if (roll < 0.35) {
      const bad = this.pick(INVALID_DEFINITIONS);
      this.register(bad.source, bad.format);
    } else if (roll < 0.7) {
      // The same source again: no new version.
      const definition = this.pick(this.definitions);
      this.register(definition.source, definition.format);
    } else {
      const changed = generatedDefinition(this.rng, `gen-${this.rng.int(0, 3)}`, ++this.variant);
      this.register(changed.source, changed.format);
    }
  }

  private startWorkflow(): void {
    const definition = this.pick(this.definitions);
    const instanceId = this.instanceId();
    const nowMs = this.nowMs();
    const policies: ReadonlyArray<ReusePolicy | undefined> = this.avoidIdReuse
      ? [undefined, 'REJECT_DUPLICATE', 'RETURN_EXISTING']
      : [undefined, 'REJECT_DUPLICATE', 'RETURN_EXISTING', 'ALLOW_IF_CLOSED'];
    const policy = this.pick(policies);
    this.propose({
      type: 'StartWorkflow',
      instanceId,
      definitionName: definition.name,
      ...(this.rng.next() < 0.1 ? { version: 1 } : {}),
      input: definition.input(this.rng, instanceId, nowMs),
      ...(this.rng.next() < 0.2 ? { businessKey: `bk${this.rng.int(0, 10)}` } : {}),
      ...(policy === undefined ? {} : { reusePolicy: policy }),
      nowMs,
      seed: this.seed(),
    });
  }

  /** Mostly a task type with ready work on the leader (a long-poll that gets an answer), else any. */
  private async activate(): Promise<void> {
    const leader = this.world.leader();
    const ready =
      leader === null || this.rng.next() < 0.25
        ? []
        : await leader.durable.kv.scan({
            ...prefixRange(keys.readyAll()),
            limit: READY_SCAN_LIMIT,
          });
    const readyTask =
      ready.length > 0
        ? await getTask(
            leader!.durable.kv,
            JSON.parse(decoder.decode(this.pick(ready)[1])) as string,
          )
        : undefined;
    const taskType = readyTask?.taskType ?? this.pick(this.taskTypes);
    const workerId = `worker-${this.rng.int(1, 6)}`;
    this.propose(
      {
        type: 'ActivateTasks',
        taskType,
        workerId,
        maxTasks: this.rng.int(1, 4),
        nowMs: this.nowMs(),
      },
      (result, index) => {
        if (!result.ok || result.response.type !== 'ActivateTasks') return;
        for (const task of result.response.tasks) this.held.push({ task, leasedAt: index });
        if (this.held.length > MAX_HELD_TASKS)
          this.held.splice(0, this.held.length - MAX_HELD_TASKS);
      },
    );
  }

  private takeHeld(): HeldTask | undefined {
    if (this.held.length === 0) return undefined;
    return this.held[this.rng.int(0, this.held.length)];
  }

  private complete(): void {
    const held = this.takeHeld();
    if (held === undefined) return;
    if (held.closedWith !== undefined) {
      // A worker that did not hear back sends the same result again.
      this.stats.duplicatesSent++;
      this.propose({ ...held.closedWith, nowMs: this.nowMs() });
      this.forget(held);
      return;
    }
    const { task } = held;
    const attemptRoll = this.rng.next();
    // Mostly the leased attempt; sometimes an older one (stale) or one that does not exist yet.
    const attempt =
      attemptRoll < 0.08 && task.attempt > 1
        ? task.attempt - 1
        : attemptRoll < 0.12
          ? task.attempt + 1
          : task.attempt;
    const command: Command = {
      type: 'CompleteTask',
      taskId: task.taskId,
      attempt,
      output: { ...this.outputFor(task), [LEASED_AT_FIELD]: held.leasedAt },
      nowMs: this.nowMs(),
      seed: this.seed(),
    };
    this.propose(command);
    if (this.rng.next() < 0.3) held.closedWith = command;
    else this.forget(held);
  }

  private fail(): void {
    const held = this.takeHeld();
    if (held === undefined) return;
    const code = this.pick(['BOOM', 'TRANSIENT', 'CARD_DECLINED', 'ADDRESS_INVALID']);
    const retryable = this.rng.next() < 0.2 ? { retryable: false } : {};
    const command: Command = {
      type: 'FailTask',
      taskId: held.task.taskId,
      attempt: held.task.attempt,
      error: {
        code,
        message: `the worker says ${code}`,
        details: { [LEASED_AT_FIELD]: held.leasedAt },
        ...retryable,
      },
      nowMs: this.nowMs(),
      seed: this.seed(),
    };
    this.propose(command);
    if (this.rng.next() < 0.3) held.closedWith = command;
    else this.forget(held);
  }

  private heartbeat(): void {
    const held = this.takeHeld();
    if (held === undefined) return;
    this.propose({
      type: 'HeartbeatTask',
      taskId: held.task.taskId,
      attempt: held.task.attempt,
      nowMs: this.nowMs(),
    });
  }

  private forget(held: HeldTask): void {
    const at = this.held.indexOf(held);
    if (at >= 0) this.held.splice(at, 1);
  }

  /** The dispatcher's timer wheel: fire what is due by the leader's committed state. */
  private async fireTimers(): Promise<void> {
    const leader = this.world.leader();
    if (leader === null) return;
    const nowMs = this.nowMs();
    const due = await listDueTimers(leader.durable.kv, nowMs, TIMERS_PER_ROUND);
    for (const timer of due)
      this.propose({ type: 'FireTimer', timerId: timer.id, nowMs, seed: this.seed() });
    if (this.rng.next() < 0.05) {
      // A timer fired early (a clock that runs ahead): the engine must reject it untouched.
      const [next] = await listNextTimers(leader.durable.kv, 1);
      if (next !== undefined)
        this.propose({ type: 'FireTimer', timerId: next.id, nowMs, seed: this.seed() });
    }
  }

  private signal(): void {
    const name = this.pick(['approval', 'go', 'unknown-signal']);
    const payload: JsonValue = { approved: this.rng.next() < 0.7, by: this.pick(['ann', 'bob']) };
    this.propose({
      type: 'Signal',
      instanceId: this.instanceId(),
      name,
      payload,
      nowMs: this.nowMs(),
      seed: this.seed(),
    });
  }

  private operate(): void {
    const instanceId = this.instanceId();
    const nowMs = this.nowMs();
    const roll = this.rng.next();
    if (roll < 0.25)
      this.propose({
        type: 'CancelWorkflow',
        instanceId,
        reason: 'the customer cancelled',
        nowMs,
        seed: this.seed(),
      });
    else if (roll < 0.35)
      this.propose({
        type: 'TerminateWorkflow',
        instanceId,
        reason: 'an operator stopped it',
        nowMs,
      });
    else if (roll < 0.5) this.propose({ type: 'PauseWorkflow', instanceId, nowMs });
    else if (roll < 0.7)
      this.propose({ type: 'ResumeWorkflow', instanceId, nowMs, seed: this.seed() });
    else if (roll < 0.9)
      this.propose({ type: 'RetryWorkflow', instanceId, nowMs, seed: this.seed() });
    else this.propose({ type: 'RestartWorkflow', instanceId, nowMs, seed: this.seed() });
  }

  private outputFor(task: ActivatedTask): Record<string, JsonValue> {
    switch (task.taskType) {
      case 'inventory.reserve':
        return { reservationId: `r-${task.taskId}` };
      case 'payments.charge':
        return { chargeId: `c-${task.taskId}` };
      case 'shipping.ship':
        return { trackingNumber: `t-${this.rng.int(0, 1000)}` };
      case 'reports.status':
        return { ready: this.rng.next() < 0.5 };
      case HTTP_TASK_TYPE:
        return {
          status: this.pick([200, 201, 503]),
          headers: {},
          body: { carrier: 'ups', price: this.rng.int(1, 50) },
        };
      default:
        return { ok: true, value: this.rng.int(0, 1000) };
    }
  }

  /** Encodes and sends a command to the leader; retried by `retryStale` while unanswered. */
  private propose(
    command: Command,
    onResult?: (result: EngineResult, index: number) => void,
  ): void {
    if (!this.active) return;
    const bytes = encodeCommand(command);
    const token = this.nextToken++;
    this.stats.byType.set(command.type, (this.stats.byType.get(command.type) ?? 0) + 1);
    const pending: Pending = {
      token,
      label: command.type,
      bytes,
      attempts: 0,
      issuedAt: this.world.now(),
      ...(onResult === undefined ? {} : { onResult }),
    };
    this.pending.set(token, pending);
    this.send(pending);
    if (this.rng.next() < 0.03) {
      // A client that timed out too early sends the very same command again.
      this.stats.duplicatesSent++;
      this.propose(command);
    }
  }

  private send(pending: Pending): void {
    pending.attempts++;
    pending.issuedAt = this.world.now();
    this.stats.proposed++;
    const leader = this.world.leader();
    if (leader === null) return;
    try {
      leader.propose(pending.bytes, pending.token);
    } catch (error) {
      // NotLeader, dropped, uncommitted limit: the client retries later.
      if (!(error instanceof BatonError)) throw error;
    }
  }

  private retryStale(): void {
    const now = this.world.now();
    for (const pending of [...this.pending.values()]) {
      if (now - pending.issuedAt < PROPOSAL_TIMEOUT_UNITS) continue;
      if (pending.attempts > MAX_RETRIES) {
        this.pending.delete(pending.token);
        continue;
      }
      this.stats.retries++;
      this.send(pending);
    }
  }
}

function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: `${prefix}\u{10FFFF}` };
}
