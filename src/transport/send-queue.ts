/**
 * A peer's bounded outbound queue: a ring buffer with O(1) push and pop, bounded by both a
 * message count and an estimated byte size.
 *
 * When full, the *newest* message is refused. Raft messages to one peer form a sequence (each
 * append names the entry before it): keeping the oldest delivers a gap-free prefix the follower
 * can use, and the leader retransmits the tail it never heard back about. Dropping the oldest
 * instead would deliver appends whose predecessors vanished — each one rejected by the follower,
 * a storm of rejections for nothing. (etcd's rafthttp drops the newest too.)
 */
import { assert } from '../lib/index.ts';
import type { Message } from '../raft/types.ts';

export class SendQueue {
  private readonly messages: (Message | undefined)[];
  private readonly sizes: Float64Array;
  private head = 0;
  private count = 0;
  private totalBytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {
    assert(maxMessages > 0 && maxBytes > 0, 'queue limits must be positive');
    this.messages = new Array<Message | undefined>(maxMessages);
    this.sizes = new Float64Array(maxMessages);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Appends `message` unless that would pass a limit; returns whether it was kept. */
  push(message: Message, sizeBytes: number): boolean {
    if (this.count === this.maxMessages || this.totalBytes + sizeBytes > this.maxBytes) {
      return false;
    }
    const slot = (this.head + this.count) % this.maxMessages;
    this.messages[slot] = message;
    this.sizes[slot] = sizeBytes;
    this.count += 1;
    this.totalBytes += sizeBytes;
    return true;
  }

  /**
   * Removes the oldest messages, at most `maxMessages` and `maxBytes` in total — but always at
   * least one, so a message larger than `maxBytes` still goes (alone). Returns them with their
   * estimated total size.
   */
  takeBatch(maxMessages: number, maxBytes: number): { messages: Message[]; bytes: number } {
    const batch: Message[] = [];
    let bytes = 0;
    while (this.count > 0 && batch.length < maxMessages) {
      const size = this.sizes[this.head]!;
      if (batch.length > 0 && bytes + size > maxBytes) break;
      batch.push(this.messages[this.head]!);
      this.messages[this.head] = undefined;
      this.head = (this.head + 1) % this.maxMessages;
      this.count -= 1;
      this.totalBytes -= size;
      bytes += size;
    }
    return { messages: batch, bytes };
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const dropped = this.count;
    this.messages.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.totalBytes = 0;
    return dropped;
  }
}
