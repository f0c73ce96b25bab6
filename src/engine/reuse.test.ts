import { describe, expect, it } from 'vitest';
import type { EngineResult } from './engine.ts';
import { keys } from './keys.ts';
import type { ActivatedTask } from './handlers.ts';
import { getInstance, listDueTimers, listInstances } from './queries.ts';
import { checkEngineInvariants } from './testing/invariants.ts';
import { EngineHarness, type CommandInput } from './testing/harness.ts';

/*
 * Reusing a workflow id (StartWorkflow with ALLOW_IF_CLOSED, or after PruneClosed) starts a new
 * run whose counters start over. Every id an instance hands out carries its run, so nothing of
 * the earlier run — a worker's lease, a child — can be taken for the new run's (FINDINGS.md 1 of
 * src/sim/engine). Each test keeps a transcript: the commands that matter and what the engine
 * answered, compared whole.
 */

const ORDER = '{"name":"order","tasks":[{"ref":"pack","type":"worker","taskType":"pack"}]}';
const CHILD =
  '{"name":"child","tasks":[{"ref":"c","type":"worker","taskType":"c"},{"ref":"w","type":"wait","durationMs":60000}]}';
const PARENT = '{"name":"parent","tasks":[{"ref":"sub","type":"subworkflow","workflow":"child"}]}';
/** A child that compensates `book` (with `unbook`) when cancelled after booking. */
const BOOKING = `{"name":"booking","tasks":[
  {"ref":"book","type":"worker","taskType":"book","compensation":{"ref":"unbook","type":"worker","taskType":"unbook"}},
  {"ref":"hold","type":"wait","durationMs":60000}]}`;
const TRIP =
  '{"name":"trip","tasks":[{"ref":"booking","type":"subworkflow","workflow":"booking"}]}';

class Transcript {
  readonly lines: string[] = [];

  constructor(private readonly h: EngineHarness) {}

  async run(label: string, input: CommandInput): Promise<EngineResult> {
    const result = await this.h.run(input);
    this.lines.push(`${label} -> ${summarize(result)}`);
    return result;
  }

  async activate(taskType: string, workerId: string): Promise<{ taskId: string; attempt: number }> {
    const [task] = await this.h.activate(taskType, 1, workerId);
    if (task === undefined) throw new Error(`no ready ${taskType} task`);
    this.lines.push(`${workerId} leases ${task.taskId}#${task.attempt}`);
    return task;
  }

  async status(instanceId: string): Promise<void> {
    const view = await getInstance(this.h.kv, instanceId);
    this.lines.push(`${instanceId} is ${view?.status ?? 'gone'}`);
  }
}

function summarize(result: EngineResult): string {
  if (!result.ok) return result.code;
  const response = result.response;
  if (response.type === 'StartWorkflow')
    return `${response.status}${response.existing ? ' (existing)' : ''}`;
  if (response.type === 'CompleteTask' || response.type === 'FailTask')
    return response.duplicate ? 'duplicate' : 'applied';
  if (response.type === 'PruneClosed') return `pruned ${response.pruned.join(' ')}`;
  return 'status' in response ? response.status : 'ok';
}

async function expectSound(h: EngineHarness): Promise<void> {
  expect(await checkEngineInvariants(h.kv)).toEqual([]);
}

describe('reusing a workflow id', () => {
  it('rejects a stale worker result from the earlier run as STALE_ATTEMPT (top level)', async () => {
    const h = new EngineHarness();
    await h.register(ORDER, 'json');
    const t = new Transcript(h);
    await t.run('start order-1', {
      type: 'StartWorkflow',
      instanceId: 'order-1',
      definitionName: 'order',
      input: {},
    });
    const old = await t.activate('pack', 'worker-A');
    await t.run('terminate order-1', {
      type: 'TerminateWorkflow',
      instanceId: 'order-1',
      reason: 'operator',
    });
    await t.run('start order-1 again', {
      type: 'StartWorkflow',
      instanceId: 'order-1',
      definitionName: 'order',
      input: {},
      reusePolicy: 'ALLOW_IF_CLOSED',
    });
    const current = await t.activate('pack', 'worker-B');
    await t.run('worker-A completes', {
      type: 'CompleteTask',
      taskId: old.taskId,
      attempt: old.attempt,
      output: { by: 'A' },
    });
    await t.run('worker-A heartbeats', {
      type: 'HeartbeatTask',
      taskId: old.taskId,
      attempt: old.attempt,
    });
    await t.run('worker-A fails', {
      type: 'FailTask',
      taskId: old.taskId,
      attempt: old.attempt,
      error: { code: 'X', message: 'x' },
    });
    await t.status('order-1');
    await t.run('worker-B completes', {
      type: 'CompleteTask',
      taskId: current.taskId,
      attempt: current.attempt,
      output: { by: 'B' },
    });
    await t.status('order-1');
    expect(t.lines).toEqual([
      'start order-1 -> RUNNING',
      'worker-A leases order-1/r2.0000000003#1',
      'terminate order-1 -> TERMINATED',
      'start order-1 again -> RUNNING',
      'worker-B leases order-1/r5.0000000003#1',
      'worker-A completes -> STALE_ATTEMPT',
      'worker-A heartbeats -> STALE_ATTEMPT',
      'worker-A fails -> STALE_ATTEMPT',
      'order-1 is RUNNING',
      'worker-B completes -> applied',
      'order-1 is COMPLETED',
    ]);
    expect((await h.instance('order-1')).output).toEqual({ by: 'B' });
    expect(await h.history('order-1')).toEqual([
      '#0 WorkflowStarted order v1',
      '#1 TaskScheduled pack type=pack attempt=1',
      '#2 TaskStarted pack attempt=1 worker=worker-B',
      '#3 TaskCompleted pack attempt=1 output={"by":"B"}',
      '#4 StepCompleted pack output={"by":"B"}',
      '#5 WorkflowCompleted output={"by":"B"}',
    ]);
    await expectSound(h);
  });

  it('rejects a stale worker result after the earlier run was pruned', async () => {
    const h = new EngineHarness();
    await h.register(ORDER, 'json');
    const t = new Transcript(h);
    await t.run('start order-2', {
      type: 'StartWorkflow',
      instanceId: 'order-2',
      definitionName: 'order',
      input: {},
    });
    const old = await t.activate('pack', 'worker-A');
    await t.run('cancel order-2', { type: 'CancelWorkflow', instanceId: 'order-2' });
    h.nowMs += 10;
    await t.run('prune', { type: 'PruneClosed', cutoffMs: h.nowMs, maxInstances: 10 });
    await t.run('worker-A completes (no run)', {
      type: 'CompleteTask',
      taskId: old.taskId,
      attempt: old.attempt,
      output: {},
    });
    await t.run('start order-2 again', {
      type: 'StartWorkflow',
      instanceId: 'order-2',
      definitionName: 'order',
      input: {},
    });
    await t.run('worker-A completes', {
      type: 'CompleteTask',
      taskId: old.taskId,
      attempt: old.attempt,
      output: {},
    });
    const current = await t.activate('pack', 'worker-B');
    await t.run('worker-B completes', {
      type: 'CompleteTask',
      taskId: current.taskId,
      attempt: current.attempt,
      output: {},
    });
    expect(t.lines).toEqual([
      'start order-2 -> RUNNING',
      'worker-A leases order-2/r2.0000000003#1',
      'cancel order-2 -> CANCELLED',
      'prune -> pruned order-2',
      'worker-A completes (no run) -> TASK_NOT_FOUND',
      'start order-2 again -> RUNNING',
      'worker-A completes -> STALE_ATTEMPT',
      'worker-B leases order-2/r7.0000000003#1',
      'worker-B completes -> applied',
    ]);
    await expectSound(h);
  });

  it('purges the earlier run’s children with it, so a later prune finds consistent indexes', async () => {
    const h = new EngineHarness();
    await h.register(CHILD, 'json');
    await h.register(PARENT, 'json');
    const t = new Transcript(h);
    await t.run('start p', {
      type: 'StartWorkflow',
      instanceId: 'p',
      definitionName: 'parent',
      input: {},
    });
    const old = await t.activate('c', 'worker-A');
    await t.run('worker-A completes', {
      type: 'CompleteTask',
      taskId: old.taskId,
      attempt: old.attempt,
      output: { run: 1 },
    });
    await t.run('terminate p', { type: 'TerminateWorkflow', instanceId: 'p', reason: 'operator' });
    await t.status('p:r3.3');
    await t.run('start p again', {
      type: 'StartWorkflow',
      instanceId: 'p',
      definitionName: 'parent',
      input: {},
      reusePolicy: 'ALLOW_IF_CLOSED',
    });
    await t.status('p:r3.3');
    const current = await t.activate('c', 'worker-B');
    await t.run('worker-A repeats its result', {
      type: 'CompleteTask',
      taskId: old.taskId,
      attempt: old.attempt,
      output: { run: 1 },
    });
    await t.status(current.taskId.slice(0, current.taskId.lastIndexOf('/')));
    await expectSound(h);
    await t.run('terminate p', { type: 'TerminateWorkflow', instanceId: 'p', reason: 'operator' });
    h.nowMs += 10;
    await t.run('prune', { type: 'PruneClosed', cutoffMs: h.nowMs, maxInstances: 10 });
    expect(t.lines).toEqual([
      'start p -> RUNNING',
      'worker-A leases p:r3.3/r3.0000000003#1',
      'worker-A completes -> applied',
      'terminate p -> TERMINATED',
      'p:r3.3 is CANCELLED',
      'start p again -> RUNNING',
      'p:r3.3 is gone',
      'worker-B leases p:r7.3/r7.0000000003#1',
      'worker-A repeats its result -> TASK_NOT_FOUND',
      'p:r7.3 is RUNNING',
      'terminate p -> TERMINATED',
      'prune -> pruned p p:r7.3',
    ]);
    expect(
      await h.kv
        .scan({ gte: '', lt: '\u{10FFFF}', limit: 1000 })
        .then((all) =>
          all.map(([key]) => key).filter((key) => !key.startsWith('d') && !key.startsWith('tt/')),
        ),
    ).toEqual([]);
    await expectSound(h);
  });

  it('leaves a child that still compensates to finish, and prunes it once it closed', async () => {
    const h = new EngineHarness();
    await h.register(BOOKING, 'json');
    await h.register(TRIP, 'json');
    const t = new Transcript(h);
    await t.run('start trip', {
      type: 'StartWorkflow',
      instanceId: 'trip',
      definitionName: 'trip',
      input: {},
    });
    const book = await t.activate('book', 'worker-A');
    await t.run('book done', {
      type: 'CompleteTask',
      taskId: book.taskId,
      attempt: book.attempt,
      output: {},
    });
    await t.run('cancel trip', { type: 'CancelWorkflow', instanceId: 'trip' });
    await t.status('trip:r3.3');
    await t.run('start trip again', {
      type: 'StartWorkflow',
      instanceId: 'trip',
      definitionName: 'trip',
      input: {},
      reusePolicy: 'ALLOW_IF_CLOSED',
    });
    await t.status('trip:r3.3');
    await expectSound(h);
    h.nowMs += 10;
    await t.run('prune (the old child still runs)', {
      type: 'PruneClosed',
      cutoffMs: h.nowMs,
      maxInstances: 10,
    });
    const unbook = await t.activate('unbook', 'worker-A');
    await t.run('unbook done', {
      type: 'CompleteTask',
      taskId: unbook.taskId,
      attempt: unbook.attempt,
      output: {},
    });
    await t.status('trip:r3.3');
    await t.status('trip');
    h.nowMs += 10;
    await t.run('prune', { type: 'PruneClosed', cutoffMs: h.nowMs, maxInstances: 10 });
    expect(t.lines).toEqual([
      'start trip -> RUNNING',
      'worker-A leases trip:r3.3/r3.0000000003#1',
      'book done -> applied',
      'cancel trip -> CANCELLED',
      'trip:r3.3 is COMPENSATING',
      'start trip again -> RUNNING',
      'trip:r3.3 is COMPENSATING',
      'prune (the old child still runs) -> pruned ',
      'worker-A leases trip:r3.3/r3.0000000010#1',
      'unbook done -> applied',
      'trip:r3.3 is COMPENSATED',
      'trip is RUNNING',
      'prune -> pruned trip:r3.3',
    ]);
    // The new run's own child is untouched by its predecessor's.
    expect(
      (await listInstances(h.kv, {}, { pageSize: 10 })).instances
        .map((view) => `${view.instanceId} ${view.status}`)
        .sort(),
    ).toEqual(['trip RUNNING', 'trip:r7.3 RUNNING']);
    await expectSound(h);
  });

  it('keeps child ids to children: a StartWorkflow id may not contain the separator', async () => {
    const h = new EngineHarness();
    await h.register(ORDER, 'json');
    const result = await h.run({
      type: 'StartWorkflow',
      instanceId: 'p:r3.3',
      definitionName: 'order',
      input: {},
    });
    expect(result.ok ? 'ok' : result.code).toBe('BAD_COMMAND');
    expect(result.ok ? '' : result.message).toContain("contains ':'");
  });

  it('prunes past an index entry whose instance is gone or not closed, instead of throwing', async () => {
    const h = new EngineHarness();
    await h.register(ORDER, 'json');
    await h.start('open', 'order');
    await h.start('done', 'order');
    await h.ok({ type: 'TerminateWorkflow', instanceId: 'done' });
    // State no command sequence can reach any more (it was the finding): entries that lie.
    h.kv.put(keys.byClosed(1, 'open'), new Uint8Array());
    h.kv.put(keys.byClosed(2, 'ghost'), new Uint8Array());
    h.nowMs += 10;
    const pruned = await h.ok({ type: 'PruneClosed', cutoffMs: h.nowMs, maxInstances: 10 });
    expect(pruned).toEqual({ type: 'PruneClosed', pruned: ['done'] });
    expect(await checkEngineInvariants(h.kv)).toEqual([
      `index entry ${keys.byClosed(1, 'open')} matches no instance's state`,
      `index entry ${keys.byClosed(2, 'ghost')} matches no instance's state`,
    ]);
  });

  it('neither reuses nor prunes an instance too big to delete in one command, and changes nothing', async () => {
    const h = new EngineHarness({ limits: { maxKeysPerPrunedInstance: 3 } });
    await h.register(ORDER, 'json');
    await h.start('big', 'order');
    await h.work('pack', {});
    const before = (await h.history('big')).length;
    expect(before).toBeGreaterThan(3);
    const again = await h.run({
      type: 'StartWorkflow',
      instanceId: 'big',
      definitionName: 'order',
      input: {},
      reusePolicy: 'ALLOW_IF_CLOSED',
    });
    expect(again.ok ? 'ok' : again.code).toBe('LIMIT_EXCEEDED');
    h.nowMs += 10;
    expect(await h.ok({ type: 'PruneClosed', cutoffMs: h.nowMs, maxInstances: 10 })).toEqual({
      type: 'PruneClosed',
      pruned: [],
    });
    expect((await h.instance('big')).status).toBe('COMPLETED');
    expect(await h.history('big')).toHaveLength(before);
    await expectSound(h);
  });

  // Trees of children, reused ids, prunes, every operation on parents and children, stale and
  // current worker results in any order: apply never throws (no assert is reachable from
  // commands), and the invariants hold after every command.
  it('never throws and stays sound under random commands on reused ids with children', async () => {
    const definitions = [
      '{"name":"leaf","tasks":[{"ref":"a","type":"worker","taskType":"t1","compensation":{"ref":"ua","type":"worker","taskType":"undo"}},{"ref":"w","type":"wait","durationMs":500},{"ref":"b","type":"worker","taskType":"t2","retry":{"maxAttempts":2}}]}',
      '{"name":"mid","tasks":[{"ref":"x","type":"worker","taskType":"t1","compensation":{"ref":"ux","type":"worker","taskType":"undo"}},{"ref":"s","type":"subworkflow","workflow":"leaf","retry":{"maxAttempts":2}},{"ref":"p","type":"parallel","branches":[[{"ref":"q","type":"subworkflow","workflow":"leaf"}],[{"ref":"r","type":"signal","name":"go","timeoutMs":800}]]}]}',
      '{"name":"top","timeoutMs":5000,"tasks":[{"ref":"m","type":"subworkflow","workflow":"mid"},{"ref":"t","type":"terminate","status":"FAILED"}]}',
    ];
    let state = 20_053;
    const random = (): number => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) & 0x7fffffff;
      return state / 0x7fffffff;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 8; round++) {
      const h = new EngineHarness();
      for (const definition of definitions) await h.register(definition, 'json');
      const leases: ActivatedTask[] = [];
      const children = new Set<string>();
      const run = async (input: CommandInput): Promise<EngineResult> => {
        const result = await h.run(input);
        const outcome = `${input.type} ${result.ok ? 'ok' : result.code}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        return result;
      };
      for (let step = 0; step < 300; step++) {
        const roll = random();
        const instanceId =
          random() < 0.7 || children.size === 0 ? pick(['a', 'b', 'c']) : pick([...children]);
        const lease = leases.length === 0 ? undefined : pick(leases);
        if (roll < 0.12) {
          const reusePolicy = pick([
            'ALLOW_IF_CLOSED',
            'RETURN_EXISTING',
            'REJECT_DUPLICATE',
          ] as const);
          await run({
            type: 'StartWorkflow',
            instanceId: pick(['a', 'b', 'c']),
            definitionName: pick(['leaf', 'mid', 'top']),
            input: {},
            reusePolicy,
          });
        } else if (roll < 0.3) {
          const result = await run({
            type: 'ActivateTasks',
            taskType: pick(['t1', 't2', 'undo']),
            workerId: 'w',
            maxTasks: 3,
          });
          if (result.ok && result.response.type === 'ActivateTasks') {
            leases.push(...result.response.tasks);
            for (const task of result.response.tasks) children.add(task.instanceId);
          }
        } else if (roll < 0.45 && lease !== undefined) {
          await run({
            type: 'CompleteTask',
            taskId: lease.taskId,
            attempt: lease.attempt,
            output: {},
          });
        } else if (roll < 0.52 && lease !== undefined) {
          await run({
            type: 'FailTask',
            taskId: lease.taskId,
            attempt: lease.attempt,
            error: { code: 'E', message: 'boom', retryable: random() < 0.5 },
          });
        } else if (roll < 0.55 && lease !== undefined) {
          await run({ type: 'HeartbeatTask', taskId: lease.taskId, attempt: lease.attempt });
        } else if (roll < 0.65) {
          h.nowMs += Math.floor(random() * 400);
          for (const timer of await listDueTimers(h.kv, h.nowMs, 20))
            await run({ type: 'FireTimer', timerId: timer.id });
        } else if (roll < 0.7) {
          await run({ type: 'Signal', instanceId, name: 'go', payload: 1 });
        } else if (roll < 0.9) {
          const type = pick([
            'CancelWorkflow',
            'TerminateWorkflow',
            'PauseWorkflow',
            'ResumeWorkflow',
            'RetryWorkflow',
            'RestartWorkflow',
          ] as const);
          await run({ type, instanceId });
        } else {
          await run({
            type: 'PruneClosed',
            cutoffMs: h.nowMs - Math.floor(random() * 500),
            maxInstances: 1 + Math.floor(random() * 4),
          });
        }
        const violations = await checkEngineInvariants(h.kv);
        expect(violations, `round ${round} step ${step}`).toEqual([]);
      }
    }
    // The run reached the cases that matter: stale results rejected, reuse and prune of trees.
    expect(outcomes.get('CompleteTask STALE_ATTEMPT') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('StartWorkflow ok') ?? 0).toBeGreaterThan(24);
    expect(outcomes.get('PruneClosed ok') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('RestartWorkflow ok') ?? 0).toBeGreaterThan(0);
  });
});
