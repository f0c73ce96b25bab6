/**
 * Fires the engine's timers while this node leads: proposes FireTimer for each timer whose due
 * time passed, from the engine's due-time index (o/due/…). One proposal in flight per timer, at
 * most MAX_TIMERS_IN_FLIGHT at once; the rest wait for the next scan. Armed from the index when
 * started (a new leader rebuilds from state) and from `timerSet` effects; it also rescans at least
 * every MAX_SLEEP_MS, so a timer is never lost to a missed effect.
 */
import { listDueTimers, listNextTimers } from '../engine/index.ts';
import type { EngineResult } from '../engine/index.ts';
import type { Logger } from '../observability/index.ts';
import { engineProposal } from '../replica/index.ts';
import type { Replica } from '../replica/index.ts';
import { NO_DISPATCH_METRICS } from './metrics.ts';
import type { DispatchMetrics } from './metrics.ts';
import { newSeed, stampNowMs } from './stamp.ts';

/** Timers read from the index in one scan. */
export const MAX_TIMERS_PER_SCAN = 256;
/** FireTimer proposals in flight at once. */
export const MAX_TIMERS_IN_FLIGHT = 256;
/** The longest the driver sleeps without looking at the index. */
export const MAX_SLEEP_MS = 1_000;

/** A timer whose FireTimer failed is not proposed again before this long. */
export const FAILED_TIMER_BACKOFF_MS = 1_000;
/** Failed timers remembered for the backoff (the oldest is forgotten first). */
const MAX_FAILED_TIMERS = 4_096;

/** Rejections that only mean someone else already handled the timer. */
const BENIGN_REJECTIONS = new Set(['TIMER_NOT_FOUND', 'TIMER_NOT_DUE']);

export type TimerReplica = Pick<Replica, 'propose' | 'reader' | 'isLeader'>;

export class TimerDriver {
  private active = false;
  private timer: NodeJS.Timeout | null = null;
  private nextWakeMs = Number.POSITIVE_INFINITY;
  private scanning = false;
  private rescan = false;
  private readonly inFlight = new Set<string>();
  /** Timer id → time before which it is not proposed again (insertion order = age). */
  private readonly backoffUntilMs = new Map<string, number>();
  /** Timers fired since start (for tests and metrics). */
  fired = 0;

  constructor(
    private readonly replica: TimerReplica,
    private readonly logger: Logger,
    private readonly metrics: DispatchMetrics = NO_DISPATCH_METRICS,
  ) {}

  /** FireTimer commands proposed and not yet settled. */
  timersInFlight(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.arm(stampNowMs());
  }

  stop(): void {
    this.active = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.nextWakeMs = Number.POSITIVE_INFINITY;
    // Proposals in flight settle on their own; their results are ignored.
    this.inFlight.clear();
  }

  /** A timer was set (an apply effect): wake earlier if it is due before the next wake-up. */
  onTimerSet(dueMs: number): void {
    if (this.active && dueMs < this.nextWakeMs) this.arm(dueMs);
  }

  private arm(atMs: number): void {
    if (!this.active) return;
    if (this.timer !== null) clearTimeout(this.timer);
    const nowMs = stampNowMs();
    const wakeMs = Math.min(atMs, nowMs + MAX_SLEEP_MS);
    this.nextWakeMs = wakeMs;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.nextWakeMs = Number.POSITIVE_INFINITY;
        void this.scan();
      },
      Math.max(0, wakeMs - nowMs),
    );
  }

  private async scan(): Promise<void> {
    if (!this.active) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = true;
    try {
      do {
        this.rescan = false;
        await this.scanOnce();
      } while (this.rescan && this.active);
    } catch (error) {
      this.logger.warn({ err: error }, 'timer scan failed; retrying');
      this.arm(stampNowMs() + MAX_SLEEP_MS);
    } finally {
      this.scanning = false;
    }
  }

  private async scanOnce(): Promise<void> {
    if (!this.active || !this.replica.isLeader()) return;
    const reader = this.replica.reader();
    const nowMs = stampNowMs();
    const due = await listDueTimers(reader, nowMs, MAX_TIMERS_PER_SCAN);
    for (const timer of due) {
      if (this.inFlight.size >= MAX_TIMERS_IN_FLIGHT) break;
      if (this.inFlight.has(timer.id) || (this.backoffUntilMs.get(timer.id) ?? 0) > nowMs) continue;
      this.fire(timer.id);
    }
    // Timers in flight wake the driver when they settle; otherwise sleep until the next one.
    const next = await listNextTimers(reader, this.inFlight.size + 1);
    const upcoming = next.find((t) => !this.inFlight.has(t.id));
    if (upcoming !== undefined) {
      const backoffMs = this.backoffUntilMs.get(upcoming.id) ?? 0;
      this.arm(Math.max(upcoming.dueMs, backoffMs, nowMs));
    } else this.arm(nowMs + MAX_SLEEP_MS);
  }

  private fire(timerId: string): void {
    this.inFlight.add(timerId);
    const command = engineProposal({
      type: 'FireTimer',
      timerId,
      nowMs: stampNowMs(),
      seed: newSeed(),
    });
    this.replica.propose(command).then(
      ({ result }) => {
        const outcome = result as EngineResult;
        if (outcome.ok) {
          this.fired += 1;
          this.metrics.timerFired();
        } else {
          if (!BENIGN_REJECTIONS.has(outcome.code))
            this.logger.warn(
              { timerId, code: outcome.code, reason: outcome.message },
              'FireTimer rejected',
            );
          this.backOff(timerId);
        }
        this.settled(timerId);
      },
      (error: unknown) => {
        this.logger.debug({ err: error, timerId }, 'FireTimer not applied');
        this.backOff(timerId);
        this.settled(timerId);
      },
    );
  }

  private backOff(timerId: string): void {
    this.backoffUntilMs.delete(timerId);
    this.backoffUntilMs.set(timerId, stampNowMs() + FAILED_TIMER_BACKOFF_MS);
    if (this.backoffUntilMs.size > MAX_FAILED_TIMERS) {
      const oldest = this.backoffUntilMs.keys().next();
      if (oldest.done !== true) this.backoffUntilMs.delete(oldest.value);
    }
  }

  private settled(timerId: string): void {
    if (!this.inFlight.delete(timerId) || !this.active) return;
    void this.scan();
  }
}
