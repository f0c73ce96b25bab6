/**
 * The leader-only half of a node: fires due timers and serves workers' ActivateTasks long-polls.
 * Built when this node becomes leader — after a linearizable barrier, so its own term's entry has
 * committed and every earlier entry is applied (DESIGN.md rule 6) — from the engine's state, and
 * dropped when it stops leading. It changes no state itself: it proposes commands and hands out
 * only leases that committed (DESIGN.md rule 5).
 */
import { getTaskTypeSettings, listReadyTasks } from '../engine/index.ts';
import type { ActivatedTask, EngineEffect, EngineResult } from '../engine/index.ts';
import type { Logger } from '../observability/index.ts';
import { NotLeaderError } from '../raft/index.ts';
import { engineProposal } from '../replica/index.ts';
import type { Replica } from '../replica/index.ts';
import type { EffectBus } from './effects.ts';
import { EngineRejectionError } from './errors.ts';
import { TaskTypeRateLimiter } from './rate-limiter.ts';
import { ReadySignals } from './ready-signals.ts';
import { stampNowMs } from './stamp.ts';
import { TimerDriver } from './timer-driver.ts';
import { HttpExecutor } from './http-executor.ts';
import { ClosedPruner, DEFAULT_CLOSED_RETENTION_MS } from './pruner.ts';
import { NO_DISPATCH_METRICS } from './metrics.ts';
import type { DispatchMetrics } from './metrics.ts';

/** How often leadership is checked (the replica has no leadership callback). */
const LEADERSHIP_POLL_MS = 20;
/** The longest an ActivateTasks long-poll waits. */
export const MAX_LONG_POLL_MS = 30_000;
/** Long-polls waiting on one node at once. */
export const MAX_LONG_POLLERS = 10_000;

export type DispatchReplica = Pick<
  Replica,
  'propose' | 'reader' | 'isLeader' | 'readBarrier' | 'status' | 'id'
>;

export interface ActivateRequest {
  readonly taskType: string;
  readonly workerId: string;
  readonly maxTasks: number;
  readonly timeoutMs: number;
  /** Aborted when the caller went away: the long-poll ends and frees its slot. */
  readonly signal?: AbortSignal;
}

export class Dispatcher {
  private readonly signals = new ReadySignals(MAX_LONG_POLLERS);
  private readonly rates = new TaskTypeRateLimiter();
  private readonly timers: TimerDriver;
  private readonly http: HttpExecutor;
  private readonly pruner: ClosedPruner;
  private readonly unsubscribe: () => void;
  private readonly poll: NodeJS.Timeout;
  /** The term this node leads in with dispatch built, or null. */
  private leadingTerm: number | null = null;
  private building = false;
  private readonly metrics: DispatchMetrics;

  constructor(
    private readonly replica: DispatchReplica,
    bus: EffectBus,
    private readonly logger: Logger,
    options: { closedRetentionMs?: number; metrics?: DispatchMetrics } = {},
  ) {
    this.metrics = options.metrics ?? NO_DISPATCH_METRICS;
    this.timers = new TimerDriver(replica, logger, this.metrics);
    this.http = new HttpExecutor(this, replica, logger, this.metrics);
    this.pruner = new ClosedPruner(
      replica,
      options.closedRetentionMs ?? DEFAULT_CLOSED_RETENTION_MS,
      logger,
      this.metrics,
    );
    this.unsubscribe = bus.subscribe((effects) => {
      this.onEffects(effects);
    });
    this.poll = setInterval(() => {
      this.checkLeadership();
    }, LEADERSHIP_POLL_MS);
  }

  /** True once this node leads and has rebuilt dispatch from state. */
  isActive(): boolean {
    return this.leadingTerm !== null;
  }

  timersFired(): number {
    return this.timers.fired;
  }

  /** What is in flight now, for the node's gauges (read at scrape time). */
  load(): { longPolls: number; timersInFlight: number; httpCallsInFlight: number } {
    return {
      longPolls: this.signals.waiting(),
      timersInFlight: this.timers.timersInFlight(),
      httpCallsInFlight: this.http.callsInFlight(),
    };
  }

  /** Runs one pruning pass now (tests, operators); resolves with how many were pruned. */
  pruneClosed(): Promise<number> {
    return this.pruner.round();
  }

  /** HTTP tasks this node's executor reported since it started leading. */
  httpTasksReported(): number {
    return this.http.reported;
  }

  close(): void {
    clearInterval(this.poll);
    this.unsubscribe();
    this.timers.stop();
    this.http.stop();
    this.pruner.stop();
    this.leadingTerm = null;
    this.signals.wakeAll();
  }

  /**
   * Leases up to `maxTasks` tasks of a type, waiting (up to timeoutMs) for one to become ready.
   * Leader only: throws NotLeaderError otherwise (also when leadership moves while waiting).
   * Only tasks whose ActivateTasks command committed are returned.
   */
  async activate(request: ActivateRequest): Promise<ActivatedTask[]> {
    const deadlineMs = stampNowMs() + Math.min(request.timeoutMs, MAX_LONG_POLL_MS);
    let mustPropose = false;
    for (;;) {
      if (!this.replica.isLeader()) throw new NotLeaderError(this.replica.status().leader);
      // Registered before looking, so news arriving meanwhile wakes it.
      if (request.signal?.aborted === true) return [];
      const wait = this.signals.register(request.taskType, request.signal);
      try {
        const look =
          mustPropose ||
          (await listReadyTasks(this.replica.reader(), request.taskType, 1)).length > 0;
        let retryInMs = Number.POSITIVE_INFINITY;
        if (look) {
          const rate = (await getTaskTypeSettings(this.replica.reader(), request.taskType))
            ?.rateLimitPerSecond;
          const quota = this.rates.available(
            request.taskType,
            rate,
            request.maxTasks,
            stampNowMs(),
          );
          if (quota.allowed > 0) {
            const tasks = await this.proposeActivation({ ...request, maxTasks: quota.allowed });
            this.rates.take(request.taskType, rate, tasks.length, stampNowMs());
            if (tasks.length > 0) return tasks;
            // None leased: another worker won, or the type is at its concurrency limit.
          } else {
            retryInMs = quota.retryInMs;
          }
        }
        const remainingMs = deadlineMs - stampNowMs();
        if (remainingMs <= 0) return [];
        // Over the type's rate: wait for the next token (or news), then look again.
        const woken = await wait.until(Math.min(remainingMs, retryInMs));
        if (!woken && retryInMs >= remainingMs) return [];
        mustPropose = woken;
      } finally {
        wait.cancel();
      }
    }
  }

  private async proposeActivation(request: ActivateRequest): Promise<ActivatedTask[]> {
    const { result } = await this.replica.propose(
      engineProposal({
        type: 'ActivateTasks',
        taskType: request.taskType,
        workerId: request.workerId,
        maxTasks: request.maxTasks,
        nowMs: stampNowMs(),
      }),
    );
    const outcome = result as EngineResult;
    if (!outcome.ok) throw new EngineRejectionError(outcome);
    if (outcome.response.type !== 'ActivateTasks') return [];
    if (outcome.response.tasks.length > 0)
      this.metrics.tasksActivated(outcome.response.tasks.length);
    return outcome.response.tasks;
  }

  private onEffects(effects: readonly EngineEffect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'taskReady':
        case 'taskClosed':
          this.signals.notify(effect.taskType);
          break;
        case 'timerSet':
          this.timers.onTimerSet(effect.dueMs);
          break;
        case 'taskLeased':
        case 'timerCancelled':
        case 'instanceClosed':
          break;
      }
    }
  }

  private checkLeadership(): void {
    const leader = this.replica.isLeader();
    if (!leader) {
      if (this.leadingTerm !== null) this.stepDown();
      return;
    }
    const term = this.replica.status().term;
    if (this.leadingTerm === term || this.building) return;
    if (this.leadingTerm !== null) this.stepDown();
    this.building = true;
    this.replica.readBarrier().then(
      () => {
        this.building = false;
        if (!this.replica.isLeader() || this.replica.status().term !== term) return;
        this.leadingTerm = term;
        this.timers.start();
        this.http.start();
        this.pruner.start();
        this.logger.info({ term }, 'dispatch started: this node leads');
      },
      (error: unknown) => {
        this.building = false;
        this.logger.debug({ err: error }, 'dispatch not started yet: no barrier');
      },
    );
  }

  private stepDown(): void {
    this.logger.info({ term: this.leadingTerm }, 'dispatch stopped: this node no longer leads');
    this.leadingTerm = null;
    this.timers.stop();
    this.http.stop();
    this.pruner.stop();
    this.signals.wakeAll();
  }
}
