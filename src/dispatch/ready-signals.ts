/**
 * Long-polling workers wait here, per task type, for news that a task of their type may be
 * leasable: a task became ready, or one closed (freeing a slot under a concurrency limit). A
 * waiter registers before it looks, so news that arrives while it looks is never missed.
 */
import { TooManyPollersError } from './errors.ts';

export interface ReadyWait {
  /** Resolves true when woken, false when `timeoutMs` passed first. */
  until(timeoutMs: number): Promise<boolean>;
  cancel(): void;
}

interface Waiter {
  wake: () => void;
}

export class ReadySignals {
  private readonly byType = new Map<string, Set<Waiter>>();
  private count = 0;

  constructor(private readonly maxWaiters: number) {}

  /**
   * Registers a waiter for `taskType`; throws TooManyPollersError past the limit. An aborted
   * `signal` (the caller went away) wakes it too.
   */
  register(taskType: string, signal?: AbortSignal): ReadyWait {
    if (this.count >= this.maxWaiters) throw new TooManyPollersError(this.maxWaiters);
    let woken = false;
    let resolveWoken: (() => void) | null = null;
    const waiter: Waiter = {
      wake: () => {
        woken = true;
        resolveWoken?.();
      },
    };
    let set = this.byType.get(taskType);
    if (set === undefined) {
      set = new Set();
      this.byType.set(taskType, set);
    }
    set.add(waiter);
    this.count += 1;
    const onAbort = (): void => {
      waiter.wake();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) waiter.wake();
    let cancelled = false;
    const cancel = (): void => {
      if (cancelled) return;
      cancelled = true;
      signal?.removeEventListener('abort', onAbort);
      this.count -= 1;
      const current = this.byType.get(taskType);
      current?.delete(waiter);
      if (current?.size === 0) this.byType.delete(taskType);
    };
    return {
      cancel,
      until: (timeoutMs) =>
        new Promise<boolean>((resolve) => {
          if (woken) {
            resolve(true);
            return;
          }
          const timer = setTimeout(
            () => {
              resolve(false);
            },
            Math.max(0, timeoutMs),
          );
          resolveWoken = () => {
            clearTimeout(timer);
            resolve(true);
          };
        }),
    };
  }

  notify(taskType: string): void {
    const set = this.byType.get(taskType);
    if (set === undefined) return;
    for (const waiter of set) waiter.wake();
  }

  /** Wakes every waiter (this node stopped leading: they retry and learn where the leader is). */
  wakeAll(): void {
    for (const set of this.byType.values()) for (const waiter of set) waiter.wake();
  }

  waiting(): number {
    return this.count;
  }
}
