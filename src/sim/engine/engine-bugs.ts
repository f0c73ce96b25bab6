import type { ApplyContext, KvView, StateMachine } from '../../lib/index.ts';
import { keys, WorkflowEngine } from '../../engine/index.ts';
import type { EngineLimits, EngineResult } from '../../engine/index.ts';
import type { EngineHost } from './engine-host.ts';
import { EngineSimUsageError } from './errors.ts';

/**
 * Deliberately broken engines, to show that the checker catches each kind of fault it claims to
 * (as the Raft simulator's RaftTestingBugs do for the core). Never used outside tests and the CLI.
 * - nondeterministicWrite: an accepted command at every 40th index also writes something only this
 *   node would write;
 * - writeOnRejection: a rejected command still writes a key;
 * - completeTwice: a repeated completion of an attempt is applied again (a second TaskCompleted
 *   event), as if the attempt-token check were missing.
 */
export const ENGINE_BUG_NAMES = [
  'nondeterministicWrite',
  'writeOnRejection',
  'completeTwice',
] as const;
export type EngineBugName = (typeof ENGINE_BUG_NAMES)[number];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NONDETERMINISM_EVERY_COMMANDS = 40;

export function engineFactory(
  limits: Partial<EngineLimits>,
  bug: EngineBugName | undefined,
): (host: EngineHost) => StateMachine<EngineResult> {
  if (bug === undefined) return () => new WorkflowEngine(limits);
  if (!(ENGINE_BUG_NAMES as readonly string[]).includes(bug)) {
    throw new EngineSimUsageError(
      `unknown engine bug "${bug}"; known: ${ENGINE_BUG_NAMES.join(', ')}`,
    );
  }
  return (host) => new BrokenEngine(new WorkflowEngine(limits), bug, host.id);
}

class BrokenEngine implements StateMachine<EngineResult> {
  constructor(
    private readonly inner: WorkflowEngine,
    private readonly bug: EngineBugName,
    private readonly nodeName: string,
  ) {}

  async apply(command: Uint8Array, context: ApplyContext, view: KvView): Promise<EngineResult> {
    const result = await this.inner.apply(command, context, view);
    switch (this.bug) {
      case 'nondeterministicWrite':
        if (result.ok && context.index % NONDETERMINISM_EVERY_COMMANDS === 0)
          view.put('zz/bug', encoder.encode(this.nodeName));
        return result;
      case 'writeOnRejection':
        if (!result.ok) view.put('zz/rejected', encoder.encode(String(context.index)));
        return result;
      case 'completeTwice':
        return this.completeAgain(command, result, view);
    }
  }

  private async completeAgain(
    command: Uint8Array,
    result: EngineResult,
    view: KvView,
  ): Promise<EngineResult> {
    if (!result.ok || result.response.type !== 'CompleteTask' || !result.response.duplicate)
      return result;
    const { taskId, attempt } = JSON.parse(decoder.decode(command)) as {
      taskId: string;
      attempt: number;
    };
    const instanceId = taskId.slice(0, taskId.lastIndexOf('/'));
    const prefix = keys.historyOf(instanceId);
    const [last] = await view.scan({
      gte: prefix,
      lt: `${prefix}\u{10FFFF}`,
      limit: 1,
      reverse: true,
    });
    const seq =
      last === undefined ? 0 : (JSON.parse(decoder.decode(last[1])) as { seq: number }).seq + 1;
    const event = {
      type: 'TaskCompleted',
      ref: 'again',
      taskId,
      attempt,
      output: null,
      seq,
      atMs: 0,
    };
    view.put(keys.history(instanceId, seq), encoder.encode(JSON.stringify(event)));
    return { ...result, response: { ...result.response, duplicate: false } };
  }
}
