import { WaitTimeoutError } from './errors.ts';
import { sleep } from './stats.ts';

export const WAIT_POLL_INTERVAL_MS = 25;

/** Polls `condition` until it holds; throws WaitTimeoutError naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const startMs = performance.now();
  while (!(await condition())) {
    if (performance.now() - startMs > timeoutMs) {
      throw new WaitTimeoutError(`${what}: not reached within ${timeoutMs} ms`);
    }
    await sleep(WAIT_POLL_INTERVAL_MS);
  }
}
