/** Checks that acknowledged writes are present, byte for byte, on a given node. */
import type { BatonClient } from './client.ts';

export const CHECK_PARALLELISM = 64;

export interface Discrepancy {
  key: string;
  problem: 'missing' | 'different value' | 'read failed';
  detail?: string;
}

/**
 * Reads every key of `acknowledged` from one node's applied state (stale read, served by that
 * node itself) and returns what is missing or different. Run after convergence.
 */
export async function checkAcknowledgedOn(
  client: BatonClient,
  address: string,
  acknowledged: ReadonlyMap<string, Uint8Array>,
): Promise<Discrepancy[]> {
  const keys = [...acknowledged.keys()];
  const discrepancies: Discrepancy[] = [];
  let next = 0;
  const readers: Promise<void>[] = [];
  for (let reader = 0; reader < CHECK_PARALLELISM; reader++) {
    readers.push(
      (async () => {
        while (next < keys.length) {
          const key = keys[next++]!;
          try {
            const response = await client.getStaleFrom(address, key);
            if (!response.found) discrepancies.push({ key, problem: 'missing' });
            else if (!Buffer.from(response.value).equals(acknowledged.get(key)!)) {
              discrepancies.push({ key, problem: 'different value' });
            }
          } catch (error) {
            discrepancies.push({ key, problem: 'read failed', detail: String(error) });
          }
        }
      })(),
    );
  }
  await Promise.all(readers);
  return discrepancies;
}
