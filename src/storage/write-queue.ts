/**
 * Runs a store's writes one at a time, in call order, and fails closed: once one write fails,
 * the store's in-memory view may no longer match the disk, so every later write is refused with
 * that first error (DESIGN.md rule 9: never serve wrong data). The node stops on it.
 */
export class WriteQueue {
  /** The write in flight (or the last one); every write chains on it. */
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  run(write: () => Promise<void>): Promise<void> {
    const attempt = async (): Promise<void> => {
      if (this.failure !== null) throw this.failure;
      try {
        await write();
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    };
    const result = this.tail.then(attempt, attempt);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every write queued so far has finished (failed ones included). */
  async drained(): Promise<void> {
    await this.tail;
  }
}
