import { describe, expect, it } from 'vitest';
import { logIndex } from '../lib/index.ts';
import { Inflights, Progress } from './progress.ts';

const i = logIndex;

describe('Inflights', () => {
  it('holds at most its capacity and frees acknowledged messages in order', () => {
    const window = new Inflights(3);
    window.add(i(5));
    window.add(i(9));
    window.add(i(12));
    expect(window.full()).toBe(true);
    expect(() => {
      window.add(i(13));
    }).toThrow();
    window.freeLE(i(9));
    expect(window.count).toBe(1);
    window.add(i(15));
    window.add(i(20));
    window.freeFirst();
    expect(window.count).toBe(2);
    window.freeLE(i(100));
    expect(window.count).toBe(0);
  });
});

describe('Progress', () => {
  it('probe sends one append at a time; replicate fills the window', () => {
    const pr = new Progress(i(11), 2, false);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(i(12), 2);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeUpdate(i(12))).toBe(true);
    pr.becomeReplicate();
    expect(pr.next).toBe(13);
    pr.sentEntries(i(15), 3);
    pr.sentEntries(i(18), 3);
    expect(pr.next).toBe(19);
    expect(pr.isPaused()).toBe(true);
    pr.inflights.freeLE(i(15));
    expect(pr.isPaused()).toBe(false);
  });

  it('ignores stale rejections and backs off to the hint on fresh ones', () => {
    const pr = new Progress(i(11), 4, false);
    expect(pr.maybeDecrTo(i(5), i(3))).toBe(false);
    expect(pr.maybeDecrTo(i(10), i(3))).toBe(true);
    expect(pr.next).toBe(4);
    pr.maybeUpdate(i(6));
    pr.becomeReplicate();
    expect(pr.maybeDecrTo(i(6), i(2))).toBe(false);
    expect(pr.maybeDecrTo(i(9), i(2))).toBe(true);
    expect(pr.next).toBe(7);
  });

  it('leaves snapshot state for probing after the snapshot index', () => {
    const pr = new Progress(i(1), 4, false);
    pr.becomeSnapshot(i(40));
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(41);
  });
});
