/**
 * The replicated state machine a node runs: routes each command by its family tag (command.ts)
 * to the family's state machine. An unknown or missing tag is a deterministic rejection that
 * writes nothing, so a newer node's command never crashes an older one.
 */
import { encodeCommand, WorkflowEngine } from '../engine/index.ts';
import type { Command } from '../engine/index.ts';
import type { ApplyContext, KvView, StateMachine } from '../lib/index.ts';
import { CommandFamily, wrapCommand } from './command.ts';
import { KvStateMachine } from './kv-state-machine.ts';

export interface RouterRejection {
  readonly ok: false;
  readonly reason: string;
}

export class CommandRouter implements StateMachine {
  private readonly families = new Map<number, StateMachine>();

  /** Registers the state machine for a family. */
  register(family: CommandFamily, machine: StateMachine): this {
    this.families.set(family, machine);
    return this;
  }

  apply(command: Uint8Array, context: ApplyContext, view: KvView): Promise<unknown> {
    const tag = command[0];
    const machine = tag === undefined ? undefined : this.families.get(tag);
    if (machine === undefined) {
      const rejection: RouterRejection = {
        ok: false,
        reason: `unknown command family ${tag ?? '(empty command)'}`,
      };
      return Promise.resolve(rejection);
    }
    return machine.apply(command.subarray(1), context, view);
  }
}

/**
 * The state machine every node runs: the KV map (and member address book) under 0x01, the
 * workflow engine under 0x02. Both share the node's LevelDB state store; their key prefixes do
 * not overlap ("kv/", "sys/" against the engine's one-letter prefixes in src/engine/keys.ts).
 * `engine` is injectable so the node can observe the engine's effects (src/dispatch).
 */
export function createNodeStateMachine(engine: StateMachine = new WorkflowEngine()): CommandRouter {
  return new CommandRouter()
    .register(CommandFamily.KV, new KvStateMachine())
    .register(CommandFamily.ENGINE, engine);
}

/** The bytes to propose for an engine command (already stamped with time, ids and seed). */
export function engineProposal(command: Command): Uint8Array {
  return wrapCommand(CommandFamily.ENGINE, encodeCommand(command));
}
