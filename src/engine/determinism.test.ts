import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logIndex, term } from '../lib/brand.ts';
import { WorkflowEngine, type EngineResult } from './engine.ts';
import type { ActivatedTask } from './handlers.ts';
import { listDueTimers } from './queries.ts';
import { EngineHarness } from './testing/harness.ts';
import { MemoryKv } from './testing/memory-kv.ts';
import { checkEngineInvariants } from './testing/invariants.ts';

/** Replays a command log on a fresh engine over a fresh MemoryKv. */
async function replay(
  log: readonly Uint8Array[],
): Promise<{ kv: MemoryKv; results: EngineResult[] }> {
  const engine = new WorkflowEngine();
  const kv = new MemoryKv();
  const results: EngineResult[] = [];
  for (const [i, bytes] of log.entries()) {
    results.push(await engine.apply(bytes, { index: logIndex(i + 1), term: term(1) }, kv));
  }
  return { kv, results };
}

// ---------------------------------------------------------------------------------------------
// Random definitions

type Json = Record<string, unknown>;

function definitionArbitrary(name: string): fc.Arbitrary<Json> {
  let refCounter = 0;
  const ref = (): string => `r${refCounter++}`;
  const worker = fc.record({
    taskType: fc.constantFrom('t1', 't2', 't3'),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    heartbeatMs: fc.constantFrom(0, 1500),
    compensate: fc.boolean(),
  });
  const leaf: fc.Arbitrary<() => Json> = fc.oneof(
    worker.map((w) => (): Json => ({
      ref: ref(),
      type: 'worker',
      taskType: w.taskType,
      input: { n: '=$count($keys(vars))' },
      retry: {
        maxAttempts: w.maxAttempts,
        backoff: 'exponential',
        initialIntervalMs: 100,
        maxIntervalMs: 400,
        jitter: 0.5,
      },
      timeouts: { startToCloseMs: 3000, heartbeatMs: w.heartbeatMs },
      ...(w.compensate ? { compensation: { ref: ref(), type: 'worker', taskType: 'undo' } } : {}),
    })),
    fc.constant((): Json => {
      const r = ref();
      return { ref: r, type: 'set', variables: { [`v_${r}`]: '$random() < 2 ? $millis() : 0' } };
    }),
    fc.constant((): Json => ({
      ref: ref(),
      type: 'transform',
      expression: '$count($keys(tasks))',
    })),
    fc
      .integer({ min: 100, max: 2000 })
      .map((durationMs) => (): Json => ({ ref: ref(), type: 'wait', durationMs })),
    fc
      .option(fc.integer({ min: 500, max: 3000 }), { nil: undefined })
      .map((timeoutMs) => (): Json => ({
        ref: ref(),
        type: 'signal',
        name: 's1',
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      })),
  );
  const sequence = (depth: number): fc.Arbitrary<() => Json[]> =>
    fc
      .array(
        depth === 0
          ? leaf
          : fc.oneof(
              { weight: 3, arbitrary: leaf },
              { weight: 1, arbitrary: container(depth - 1) },
            ),
        { minLength: 1, maxLength: 3 },
      )
      .map((makers) => () => makers.map((make) => make()));
  const container = (depth: number): fc.Arbitrary<() => Json> =>
    fc.oneof(
      fc
        .tuple(fc.array(sequence(depth), { minLength: 2, maxLength: 3 }), fc.boolean())
        .map(([branches, quorum]) => (): Json => ({
          ref: ref(),
          type: 'parallel',
          ...(quorum ? { join: { quorum: 1 } } : {}),
          branches: branches.map((make) => make()),
        })),
      fc
        .tuple(sequence(depth), fc.integer({ min: 1, max: 2 }))
        .map(([body, concurrency]) => (): Json => ({
          ref: ref(),
          type: 'foreach',
          items: '[1, 2, 3]',
          concurrency,
          body: body(),
        })),
      fc.tuple(sequence(depth), sequence(depth)).map(([first, otherwise]) => (): Json => ({
        ref: ref(),
        type: 'switch',
        cases: [{ when: 'input.x > 5', tasks: first() }],
        default: otherwise(),
      })),
      sequence(depth).map((body) => (): Json => ({
        ref: ref(),
        type: 'loop',
        maxIterations: 3,
        while: 'iteration < 1',
        body: body(),
      })),
    );
  return sequence(2).map((make) => {
    refCounter = 0;
    return { name, timeoutMs: 60_000, tasks: make() };
  });
}

// ---------------------------------------------------------------------------------------------
// Random command interleavings

type Action =
  | { kind: 'start'; definition: number; x: number }
  | { kind: 'activate'; taskType: string; max: number }
  | { kind: 'complete'; pick: number }
  | { kind: 'fail'; pick: number; retryable: boolean }
  | { kind: 'heartbeat'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'signal'; pick: number }
  | {
      kind: 'operate';
      pick: number;
      op:
        | 'CancelWorkflow'
        | 'TerminateWorkflow'
        | 'PauseWorkflow'
        | 'ResumeWorkflow'
        | 'RetryWorkflow'
        | 'RestartWorkflow';
    }
  | { kind: 'prune' };

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      definition: fc.integer({ min: 0, max: 1 }),
      x: fc.integer({ min: 0, max: 10 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('activate' as const),
      taskType: fc.constantFrom('t1', 't2', 't3', 'undo'),
      max: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      pick: fc.nat(),
      retryable: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 50, max: 2500 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signal' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('operate' as const),
      pick: fc.nat(),
      op: fc.constantFrom(
        'CancelWorkflow',
        'TerminateWorkflow',
        'PauseWorkflow',
        'ResumeWorkflow',
        'RetryWorkflow',
        'RestartWorkflow',
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'prune' as const }) },
);

interface RunReport {
  harness: EngineHarness;
  results: EngineResult[];
  /** Tokens (taskId#attempt) whose completion was accepted as new, with how often. */
  appliedCompletions: Map<string, number>;
}

async function runScenario(definitions: Json[], actions: Action[]): Promise<RunReport> {
  const h = new EngineHarness();
  const results: EngineResult[] = [];
  const appliedCompletions = new Map<string, number>();
  for (const definition of definitions)
    await h.ok({ type: 'RegisterDefinition', format: 'json', source: JSON.stringify(definition) });
  const leased: ActivatedTask[] = [];
  const instances: string[] = [];
  const pick = <T>(list: readonly T[], n: number): T | undefined =>
    list.length === 0 ? undefined : list[n % list.length];
  for (const action of actions) {
    let result: EngineResult | undefined;
    switch (action.kind) {
      case 'start': {
        const instanceId = `w${instances.length}`;
        instances.push(instanceId);
        result = await h.run({
          type: 'StartWorkflow',
          instanceId,
          definitionName: `d${action.definition}`,
          input: { x: action.x },
        });
        break;
      }
      case 'activate':
        result = await h.run({
          type: 'ActivateTasks',
          taskType: action.taskType,
          workerId: 'w',
          maxTasks: action.max,
        });
        if (result.ok && result.response.type === 'ActivateTasks')
          leased.push(...result.response.tasks);
        break;
      case 'complete': {
        const task = pick(leased, action.pick);
        if (task === undefined) continue;
        result = await h.run({
          type: 'CompleteTask',
          taskId: task.taskId,
          attempt: task.attempt,
          output: { done: task.taskId },
        });
        if (result.ok && result.response.type === 'CompleteTask' && !result.response.duplicate) {
          const token = `${task.taskId}#${task.attempt}`;
          appliedCompletions.set(token, (appliedCompletions.get(token) ?? 0) + 1);
        }
        break;
      }
      case 'fail': {
        const task = pick(leased, action.pick);
        if (task === undefined) continue;
        result = await h.run({
          type: 'FailTask',
          taskId: task.taskId,
          attempt: task.attempt,
          error: { code: 'E', message: 'boom', retryable: action.retryable },
        });
        break;
      }
      case 'heartbeat': {
        const task = pick(leased, action.pick);
        if (task === undefined) continue;
        result = await h.run({ type: 'HeartbeatTask', taskId: task.taskId, attempt: task.attempt });
        break;
      }
      case 'advance':
        h.nowMs += action.ms;
        for (const timer of await listDueTimers(h.kv, h.nowMs, 20))
          results.push(await h.run({ type: 'FireTimer', timerId: timer.id }));
        continue;
      case 'signal': {
        const instanceId = pick(instances, action.pick);
        if (instanceId === undefined) continue;
        result = await h.run({ type: 'Signal', instanceId, name: 's1', payload: action.pick });
        break;
      }
      case 'operate': {
        const instanceId = pick(instances, action.pick);
        if (instanceId === undefined) continue;
        result = await h.run({ type: action.op, instanceId });
        break;
      }
      case 'prune':
        result = await h.run({ type: 'PruneClosed', cutoffMs: h.nowMs - 3000, maxInstances: 5 });
        break;
    }
    results.push(result);
  }
  return { harness: h, results, appliedCompletions };
}

async function checkInvariants(report: RunReport): Promise<void> {
  for (const count of report.appliedCompletions.values()) expect(count).toBe(1);
  expect(await checkEngineInvariants(report.harness.kv)).toEqual([]);
}

describe('determinism', () => {
  it('two fresh engines applying the same log reach byte-identical state', async () => {
    const saga = {
      name: 'd0',
      tasks: [
        {
          ref: 'a',
          type: 'worker',
          taskType: 't1',
          compensation: { ref: 'u', type: 'worker', taskType: 'undo' },
        },
        { ref: 'b', type: 'worker', taskType: 't2', retry: { maxAttempts: 1 } },
      ],
    };
    const fan = {
      name: 'd1',
      tasks: [
        {
          ref: 'f',
          type: 'foreach',
          items: '[1,2,3]',
          concurrency: 2,
          body: [{ ref: 'x', type: 'worker', taskType: 't3', retry: { jitter: 0.7 } }],
        },
      ],
    };
    const report = await runScenario(
      [saga, fan],
      [
        { kind: 'start', definition: 0, x: 1 },
        { kind: 'start', definition: 1, x: 2 },
        { kind: 'activate', taskType: 't1', max: 3 },
        { kind: 'activate', taskType: 't3', max: 3 },
        { kind: 'complete', pick: 0 },
        { kind: 'fail', pick: 1, retryable: true },
        { kind: 'advance', ms: 2500 },
        { kind: 'activate', taskType: 't2', max: 3 },
        { kind: 'fail', pick: 3, retryable: false },
        { kind: 'activate', taskType: 'undo', max: 3 },
        { kind: 'complete', pick: 4 },
        { kind: 'activate', taskType: 't3', max: 3 },
        { kind: 'complete', pick: 2 },
        { kind: 'complete', pick: 5 },
        { kind: 'complete', pick: 6 },
      ],
    );
    const first = await replay(report.harness.log);
    const second = await replay(report.harness.log);
    expect(first.kv.dump()).toEqual(second.kv.dump());
    expect(first.kv.dump()).toEqual(report.harness.kv.dump());
    expect(JSON.stringify(first.results)).toBe(JSON.stringify(second.results));
    expect((await report.harness.instance('w0')).status).toBe('COMPENSATED');
    await checkInvariants(report);
  });

  it('holds for random definitions and random command interleavings', async () => {
    await fc.assert(
      fc.asyncProperty(
        definitionArbitrary('d0'),
        definitionArbitrary('d1'),
        fc.array(actionArbitrary, { minLength: 20, maxLength: 150 }),
        async (d0, d1, actions) => {
          const report = await runScenario([d0, d1], actions);
          await checkInvariants(report);
          const replayed = await replay(report.harness.log);
          expect(replayed.kv.dump()).toEqual(report.harness.kv.dump());
        },
      ),
      { numRuns: 100, seed: 20261127 },
    );
  });
});
