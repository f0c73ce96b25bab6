/**
 * The replicated state machine a node runs: routes each command by its family tag (command.ts)
 * to the family's state machine. An unknown or missing tag is a deterministic rejection that
 * writes nothing, so a newer node's command never crashes an older one.
 */
import type { ApplyContext, KvView, StateMachine } from '../lib/index.ts';
import type { CommandFamily } from './command.ts';

export interface RouterRejection {
  readonly ok: false;
  readonly reason: string;
}

export class CommandRouter implements StateMachine {
  private readonly families = new Map<number, StateMachine>();

  /** Registers the state machine for a family; main.ts wires the engine here once it exists. */
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
