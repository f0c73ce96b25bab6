import { describe, expect, it } from 'vitest';
import { logIndex } from '../lib/index.ts';
import type { LogIndex } from '../lib/index.ts';
import { PendingReadLimitError, RequestTimeoutError } from './errors.ts';
import { ReadBarriers } from './read-barriers.ts';

interface Harness {
  readonly reads: ReadBarriers;
  readonly rounds: string[];
  readonly pending: number[];
  failNextRound: Error | null;
}

function harness(overrides: { maxPending?: number; timeoutMs?: number } = {}): Harness {
  const h: Harness = {
    rounds: [],
    pending: [],
    failNextRound: null,
    reads: undefined as unknown as ReadBarriers,
  };
  (h as { reads: ReadBarriers }).reads = new ReadBarriers({
    idPrefix: 'n1',
    startRound: (id) => {
      if (h.failNextRound !== null) {
        const error = h.failNextRound;
        h.failNextRound = null;
        throw error;
      }
      h.rounds.push(id);
    },
    maxPending: overrides.maxPending ?? 100,
    timeoutMs: overrides.timeoutMs ?? 1_000,
    onPendingChange: (pending) => h.pending.push(pending),
  });
  return h;
}

/** Records how each read settled, without awaiting it. */
function track(read: Promise<LogIndex>): { value?: LogIndex; error?: unknown } {
  const outcome: { value?: LogIndex; error?: unknown } = {};
  read.then(
    (value) => (outcome.value = value),
    (error: unknown) => (outcome.error = error),
  );
  return outcome;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ReadBarriers', () => {
  it('runs one round at a time: reads arriving meanwhile share the next one', async () => {
    const { reads, rounds } = harness();
    const first = track(reads.request(0));
    const second = track(reads.request(0));
    const third = track(reads.request(0));
    expect(rounds).toEqual(['n1:1']);

    reads.onReadStates([{ requestId: 'n1:1', index: logIndex(5) }]);
    expect(rounds).toEqual(['n1:1', 'n1:2']);
    reads.serve(logIndex(4));
    await settle();
    expect(first).toEqual({});

    reads.serve(logIndex(5));
    await settle();
    expect(first).toEqual({ value: 5 });
    expect(second).toEqual({});

    reads.onReadStates([{ requestId: 'n1:2', index: logIndex(7) }]);
    reads.serve(logIndex(8));
    await settle();
    expect(second).toEqual({ value: 8 });
    expect(third).toEqual({ value: 8 });
    expect(rounds).toHaveLength(2);
  });

  it('ignores answers to rounds it is not waiting for', async () => {
    const { reads } = harness();
    const read = track(reads.request(0));
    reads.onReadStates([{ requestId: 'n1:99', index: logIndex(1) }]);
    reads.onReadStates([{ requestId: 'n2:1', index: logIndex(1) }]);
    reads.serve(logIndex(10));
    await settle();
    expect(read).toEqual({});
  });

  it('keeps reads in index order when a later round answers with a lower index', async () => {
    const { reads } = harness();
    const first = track(reads.request(0));
    reads.onReadStates([{ requestId: 'n1:1', index: logIndex(7) }]);
    const second = track(reads.request(0));
    reads.onReadStates([{ requestId: 'n1:2', index: logIndex(6) }]);
    reads.serve(logIndex(6));
    await settle();
    expect(first).toEqual({});
    expect(second).toEqual({});
    reads.serve(logIndex(7));
    await settle();
    expect(first).toEqual({ value: 7 });
    expect(second).toEqual({ value: 7 });
  });

  it('refuses a read past the limit and counts the waiting ones', async () => {
    const h = harness({ maxPending: 2 });
    const first = track(h.reads.request(0));
    const second = track(h.reads.request(0));
    const refused = track(h.reads.request(0));
    await settle();
    expect(refused.error).toBeInstanceOf(PendingReadLimitError);
    expect(h.pending).toEqual([1, 2]);
    h.reads.onReadStates([{ requestId: 'n1:1', index: logIndex(1) }]);
    h.reads.serve(logIndex(1));
    await settle();
    expect(first).toEqual({ value: 1 });
    expect(second).toEqual({});
    expect(h.pending).toEqual([1, 2, 1]);
  });

  it('fails every read once the oldest outlives its deadline; the next read starts a fresh round', async () => {
    const { reads, rounds } = harness({ timeoutMs: 100 });
    const old = track(reads.request(0));
    const young = track(reads.request(60));
    reads.expire(99);
    await settle();
    expect(old).toEqual({});
    reads.expire(100);
    await settle();
    expect(old.error).toBeInstanceOf(RequestTimeoutError);
    expect(young.error).toBeInstanceOf(RequestTimeoutError);
    // The abandoned round's late answer serves no one; a new read gets its own round.
    reads.onReadStates([{ requestId: 'n1:1', index: logIndex(3) }]);
    const next = track(reads.request(200));
    expect(rounds).toEqual(['n1:1', 'n1:2']);
    reads.onReadStates([{ requestId: 'n1:2', index: logIndex(4) }]);
    reads.serve(logIndex(4));
    await settle();
    expect(next).toEqual({ value: 4 });
  });

  it('rejects a round the core refuses to start, then starts the next one normally', async () => {
    const h = harness();
    h.failNextRound = new Error('not leader');
    const refused = track(h.reads.request(0));
    await settle();
    expect((refused.error as Error).message).toBe('not leader');
    const next = track(h.reads.request(0));
    expect(h.rounds).toEqual(['n1:2']);
    h.reads.onReadStates([{ requestId: 'n1:2', index: logIndex(1) }]);
    h.reads.serve(logIndex(1));
    await settle();
    expect(next).toEqual({ value: 1 });
  });

  it('fails queued, in-flight and applied-waiting reads alike', async () => {
    const h = harness();
    const waitingApply = track(h.reads.request(0));
    h.reads.onReadStates([{ requestId: 'n1:1', index: logIndex(9) }]);
    const inFlight = track(h.reads.request(0));
    const queued = track(h.reads.request(0));
    const reason = new Error('stepped down');
    h.reads.failAll(reason);
    await settle();
    for (const read of [waitingApply, inFlight, queued]) expect(read.error).toBe(reason);
    expect(h.pending.at(-1)).toBe(0);
  });
});
