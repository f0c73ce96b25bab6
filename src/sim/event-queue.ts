import { assert } from '../lib/index.ts';

/** Anything scheduled at a simulated time; ties break by insertion order so runs replay exactly. */
export interface Scheduled {
  readonly time: number;
  readonly sequence: number;
}

/** A binary min-heap on (time, sequence). */
export class EventQueue<T extends Scheduled> {
  private readonly heap: T[] = [];
  private readonly maxEvents: number;

  constructor(maxEvents: number) {
    this.maxEvents = maxEvents;
  }

  get size(): number {
    return this.heap.length;
  }

  push(event: T): void {
    assert(
      this.heap.length < this.maxEvents,
      () => `event queue over its limit of ${this.maxEvents}`,
    );
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }

  peek(): T | undefined {
    return this.heap[0];
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.sequence < b.sequence);
}
