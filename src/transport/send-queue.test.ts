import { describe, expect, it } from 'vitest';
import { logIndex, nodeId } from '../lib/index.ts';
import { SendQueue } from './send-queue.ts';
import { makeMessage } from './testing/transport-contract.ts';

const message = (index: number) =>
  makeMessage(nodeId('a'), nodeId('b'), 'heartbeat', { commit: logIndex(index) });

describe('SendQueue', () => {
  it('keeps order across wrap-around and refuses the newest when full', () => {
    const queue = new SendQueue(4, 1_000_000);
    for (let i = 0; i < 4; i += 1) expect(queue.push(message(i), 10)).toBe(true);
    expect(queue.push(message(99), 10)).toBe(false);
    expect(queue.takeBatch(3, 1000).messages.map((m) => m.commit)).toEqual([0, 1, 2]);
    for (let i = 4; i < 7; i += 1) expect(queue.push(message(i), 10)).toBe(true);
    expect(queue.length).toBe(4);
    expect(queue.bytes).toBe(40);
    expect(queue.takeBatch(100, 1000).messages.map((m) => m.commit)).toEqual([3, 4, 5, 6]);
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
  });

  it('bounds by bytes, and batches by bytes but always at least one message', () => {
    const queue = new SendQueue(100, 250);
    expect(queue.push(message(0), 200)).toBe(true);
    expect(queue.push(message(1), 60)).toBe(false);
    expect(queue.push(message(2), 50)).toBe(true);
    const first = queue.takeBatch(10, 100);
    expect(first.messages.map((m) => m.commit)).toEqual([0]);
    expect(first.bytes).toBe(200);
    expect(queue.takeBatch(10, 100).messages.map((m) => m.commit)).toEqual([2]);
  });

  it('clears and reports how many it dropped', () => {
    const queue = new SendQueue(10, 1000);
    queue.push(message(0), 1);
    queue.push(message(1), 1);
    expect(queue.clear()).toBe(2);
    expect(queue.length).toBe(0);
    expect(queue.push(message(2), 1)).toBe(true);
    expect(queue.takeBatch(10, 10).messages.map((m) => m.commit)).toEqual([2]);
  });
});
