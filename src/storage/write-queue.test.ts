import { describe, expect, it } from 'vitest';
import { WriteQueue } from './write-queue.ts';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe('WriteQueue', () => {
  it('runs writes one at a time in call order', async () => {
    const queue = new WriteQueue();
    const log: string[] = [];
    const write = (name: string) => async (): Promise<void> => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    };
    await Promise.all([queue.run(write('a')), queue.run(write('b')), queue.run(write('c'))]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('fails closed: after one write fails, every later write is refused with that error', async () => {
    const queue = new WriteQueue();
    const disk = new Error('EIO');
    let laterRan = false;
    const failed = queue.run(() => Promise.reject(disk));
    const later = queue.run(() => {
      laterRan = true;
      return Promise.resolve();
    });
    await expect(failed).rejects.toBe(disk);
    await expect(later).rejects.toBe(disk);
    await expect(queue.run(() => Promise.resolve())).rejects.toBe(disk);
    expect(laterRan).toBe(false);
    await queue.drained();
  });
});
