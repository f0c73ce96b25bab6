/**
 * What the leader decides before proposing an engine command (DESIGN.md rule 3): the time, new
 * ids and a random seed. Applying the command on every node then uses these values, never its own.
 */
import { randomInt, randomUUID } from 'node:crypto';

export function stampNowMs(): number {
  return Date.now();
}

/** A 32-bit seed for retry jitter and expression randomness. */
export function newSeed(): number {
  return randomInt(0, 2 ** 32);
}

export function newWorkflowId(): string {
  return randomUUID();
}
