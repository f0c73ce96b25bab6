import { logIndex, term } from '../../lib/brand.ts';
import { encodeCommand, type Command } from '../commands.ts';
import { WorkflowEngine, type EngineResult } from '../engine.ts';
import type { ActivatedTask, EngineResponse } from '../handlers.ts';
import type { EngineLimits } from '../limits.ts';
import type { JsonValue } from '../definition/types.ts';
import {
  formatHistory,
  getHistory,
  getInstance,
  listDueTimers,
  type InstanceView,
} from '../queries.ts';
import { MemoryKv } from './memory-kv.ts';

/** Distributes Omit over a union, so each command keeps its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type CommandInput = DistributiveOmit<Command, 'nowMs' | 'seed'> & {
  nowMs?: number;
  seed?: number;
};

/**
 * Drives one engine over a MemoryKv the way the replica would: commands get consecutive log
 * indexes, a clock the test moves by hand, and seeds from a counter. For tests, the example and
 * the simulator; every command is encoded and decoded like a real log entry.
 */
export class EngineHarness {
  readonly kv = new MemoryKv();
  readonly engine: WorkflowEngine;
  readonly log: Uint8Array[] = [];
  nowMs: number;
  private index = 0;
  private seed = 1;

  constructor(options: { limits?: Partial<EngineLimits>; startMs?: number } = {}) {
    this.engine = new WorkflowEngine(options.limits);
    this.nowMs = options.startMs ?? 1_000_000;
  }

  /** Applies a command; fills in nowMs and seed unless given. */
  async run(input: CommandInput): Promise<EngineResult> {
    const command = { ...input, nowMs: input.nowMs ?? this.nowMs } as Record<string, unknown>;
    if (commandTakesSeed(input.type)) command.seed = input.seed ?? this.seed++;
    return this.applyBytes(encodeCommand(command as Command));
  }

  async applyBytes(bytes: Uint8Array): Promise<EngineResult> {
    this.log.push(bytes);
    this.index++;
    return this.engine.apply(bytes, { index: logIndex(this.index), term: term(1) }, this.kv);
  }

  /** Applies a command that must succeed and returns its response. */
  async ok(input: CommandInput): Promise<EngineResponse> {
    const result = await this.run(input);
    if (!result.ok) throw new Error(`${input.type} rejected: ${result.code}: ${result.message}`);
    return result.response;
  }

  async register(source: string, format: 'json' | 'yaml' | 'auto' = 'yaml'): Promise<number> {
    const response = await this.ok({ type: 'RegisterDefinition', source, format });
    if (response.type !== 'RegisterDefinition') throw new Error('unexpected response');
    return response.version;
  }

  async start(
    instanceId: string,
    definitionName: string,
    input: JsonValue = {},
    extra: Partial<CommandInput> = {},
  ): Promise<EngineResponse> {
    return this.ok({
      type: 'StartWorkflow',
      instanceId,
      definitionName,
      input,
      ...extra,
    } as CommandInput);
  }

  async activate(taskType: string, maxTasks = 10, workerId = 'w1'): Promise<ActivatedTask[]> {
    const response = await this.ok({ type: 'ActivateTasks', taskType, workerId, maxTasks });
    if (response.type !== 'ActivateTasks') throw new Error('unexpected response');
    return response.tasks;
  }

  /** Activates one task of the type and completes it with `output`. */
  async work(taskType: string, output: JsonValue = {}): Promise<ActivatedTask> {
    const [task] = await this.activate(taskType, 1);
    if (task === undefined) throw new Error(`no ready task of type ${taskType}`);
    await this.ok({ type: 'CompleteTask', taskId: task.taskId, attempt: task.attempt, output });
    return task;
  }

  /** Activates one task of the type and fails it. */
  async failWork(taskType: string, code: string, retryable?: boolean): Promise<ActivatedTask> {
    const [task] = await this.activate(taskType, 1);
    if (task === undefined) throw new Error(`no ready task of type ${taskType}`);
    await this.ok({
      type: 'FailTask',
      taskId: task.taskId,
      attempt: task.attempt,
      error: {
        code,
        message: `${taskType} failed with ${code}`,
        ...(retryable === undefined ? {} : { retryable }),
      },
    });
    return task;
  }

  /** Moves the clock and fires every timer that is due by then, in due order. */
  async advance(byMs: number): Promise<number> {
    this.nowMs += byMs;
    let fired = 0;
    for (let round = 0; round < 1000; round++) {
      const [timer] = await listDueTimers(this.kv, this.nowMs, 1);
      if (timer === undefined) return fired;
      await this.ok({ type: 'FireTimer', timerId: timer.id });
      fired++;
    }
    throw new Error('timers kept firing');
  }

  async instance(instanceId: string): Promise<InstanceView> {
    const view = await getInstance(this.kv, instanceId);
    if (view === undefined) throw new Error(`no instance ${instanceId}`);
    return view;
  }

  async history(instanceId: string): Promise<string[]> {
    const page = await getHistory(this.kv, instanceId, { pageSize: 1000 });
    return formatHistory(page.events);
  }
}

function commandTakesSeed(type: Command['type']): boolean {
  return ![
    'RegisterDefinition',
    'ActivateTasks',
    'HeartbeatTask',
    'TerminateWorkflow',
    'PauseWorkflow',
    'PruneClosed',
  ].includes(type);
}
