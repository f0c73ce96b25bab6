import { describe, expect, it } from 'vitest';
import { TooManyPollersError } from './errors.ts';
import { ReadySignals } from './ready-signals.ts';

describe('ReadySignals', () => {
  it('wakes the waiters of a type, not of other types', async () => {
    const signals = new ReadySignals(10);
    const a = signals.register('a');
    const b = signals.register('b');
    const wokenA = a.until(60_000);
    signals.notify('a');
    expect(await wokenA).toBe(true);
    expect(await b.until(0)).toBe(false);
    a.cancel();
    b.cancel();
    expect(signals.waiting()).toBe(0);
  });

  it('keeps news that arrived between registering and waiting', async () => {
    const signals = new ReadySignals(10);
    const wait = signals.register('a');
    signals.notify('a');
    expect(await wait.until(60_000)).toBe(true);
    wait.cancel();
  });

  it('refuses waiters past its limit, and cancel frees a slot', () => {
    const signals = new ReadySignals(1);
    const first = signals.register('a');
    expect(() => signals.register('a')).toThrow(TooManyPollersError);
    first.cancel();
    first.cancel();
    signals.register('a').cancel();
    expect(signals.waiting()).toBe(0);
  });

  it('wakes everyone when this node stops leading', async () => {
    const signals = new ReadySignals(10);
    const waits = ['a', 'b', 'c'].map((type) => signals.register(type));
    const woken = waits.map((w) => w.until(60_000));
    signals.wakeAll();
    expect(await Promise.all(woken)).toEqual([true, true, true]);
  });

  it('wakes a waiter whose caller went away', async () => {
    const signals = new ReadySignals(10);
    const gone = new AbortController();
    const wait = signals.register('a', gone.signal);
    const woken = wait.until(60_000);
    gone.abort();
    expect(await woken).toBe(true);
    wait.cancel();
    expect(signals.waiting()).toBe(0);
  });
});
