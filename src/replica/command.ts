/**
 * The envelope of every replicated command: one byte naming the command family, then the family's
 * own bytes. The router (router.ts) hands the bytes after the tag to the family's state machine.
 *
 *   0x01  KV     — the small key-value map and the member address book (kv-state-machine.ts)
 *   0x02  ENGINE — the workflow engine (src/engine); see createNodeStateMachine in router.ts
 *
 * Tags are part of the on-disk log format: never reuse or renumber one.
 */
export const CommandFamily = { KV: 0x01, ENGINE: 0x02 } as const;
export type CommandFamily = (typeof CommandFamily)[keyof typeof CommandFamily];

export function wrapCommand(family: CommandFamily, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = family;
  out.set(body, 1);
  return out;
}
