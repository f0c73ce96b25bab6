import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.ts';
import { DEFAULT_RETRY } from './definition/types.ts';
import { getTaskTypeSettings, listDueTimers, listInstances, listNextTimers } from './queries.ts';
import { EngineHarness } from './testing/harness.ts';

async function harnessWith(...definitions: string[]): Promise<EngineHarness> {
  const h = new EngineHarness();
  for (const definition of definitions) await h.register(definition);
  return h;
}

const retrying = `
name: retrying
tasks:
  - ref: flaky
    type: worker
    taskType: flaky
    retry:
      maxAttempts: 3
      backoff: exponential
      initialIntervalMs: 1000
      maxIntervalMs: 1500
      multiplier: 2
      jitter: 0
      nonRetryableErrors: [FATAL]
`;

describe('retries', () => {
  it('backs off exponentially up to the cap, then fails', async () => {
    const h = await harnessWith(retrying);
    await h.start('r1', 'retrying');
    await h.failWork('flaky', 'BUSY');
    expect(await h.activate('flaky')).toEqual([]);
    await h.advance(1000);
    await h.failWork('flaky', 'BUSY');
    await h.advance(1499);
    expect(await h.activate('flaky')).toEqual([]);
    await h.advance(1);
    const third = await h.failWork('flaky', 'BUSY');
    expect(third.attempt).toBe(3);
    const view = await h.instance('r1');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('BUSY');
    expect(await h.history('r1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted retrying v1",
        "#1 TaskScheduled flaky type=flaky attempt=1",
        "#2 TaskStarted flaky attempt=1 worker=w1",
        "#3 TaskFailed flaky attempt=1 BUSY retryAt=1001000",
        "#4 TimerFired retry attempt=1",
        "#5 TaskScheduled flaky type=flaky attempt=2",
        "#6 TaskStarted flaky attempt=2 worker=w1",
        "#7 TaskFailed flaky attempt=2 BUSY retryAt=1002500",
        "#8 TimerFired retry attempt=2",
        "#9 TaskScheduled flaky type=flaky attempt=3",
        "#10 TaskStarted flaky attempt=3 worker=w1",
        "#11 TaskFailed flaky attempt=3 BUSY",
        "#12 StepFailed flaky BUSY",
        "#13 WorkflowFailed BUSY at flaky",
      ]
    `);
  });

  it('does not retry a non-retryable error, by code or by the worker saying so', async () => {
    const h = await harnessWith(retrying);
    await h.start('r2', 'retrying');
    await h.failWork('flaky', 'FATAL');
    expect((await h.instance('r2')).status).toBe('FAILED');
    await h.start('r3', 'retrying');
    await h.failWork('flaky', 'OTHER', false);
    expect((await h.instance('r3')).status).toBe('FAILED');
  });

  it('computes jitter from the seed, the same every time, within bounds', () => {
    const policy = { ...DEFAULT_RETRY, initialIntervalMs: 1000, jitter: 0.5 };
    const delays = [1, 2, 3, 4, 5].map((seed) => backoffDelayMs(policy, 1, seed));
    expect(delays).toEqual([1, 2, 3, 4, 5].map((seed) => backoffDelayMs(policy, 1, seed)));
    for (const delay of delays) expect(delay).toBeGreaterThan(500);
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(backoffDelayMs({ ...policy, jitter: 0 }, 3, 9)).toBe(4000);
    expect(backoffDelayMs({ ...policy, jitter: 0, maxIntervalMs: 3000 }, 10, 9)).toBe(3000);
  });
});

describe('timeouts', () => {
  const timed = `
name: timed
tasks:
  - ref: job
    type: worker
    taskType: job
    timeouts: { startToCloseMs: 10000, heartbeatMs: 3000, scheduleToStartMs: 60000 }
    retry: { maxAttempts: 2, backoff: fixed, initialIntervalMs: 100, maxIntervalMs: 100, jitter: 0 }
`;

  it('times out a silent worker by heartbeat, retries, and a heartbeat keeps the lease', async () => {
    const h = await harnessWith(timed);
    await h.start('t1', 'timed');
    const [first] = await h.activate('job');
    await h.advance(3000);
    const late = await h.run({
      type: 'CompleteTask',
      taskId: first!.taskId,
      attempt: 1,
      output: 1,
    });
    expect(late).toMatchObject({ ok: false, code: 'TASK_NOT_RUNNING' });
    await h.advance(100);
    const [second] = await h.activate('job');
    expect(second?.attempt).toBe(2);
    const stale = await h.run({
      type: 'CompleteTask',
      taskId: first!.taskId,
      attempt: 1,
      output: 1,
    });
    expect(stale).toMatchObject({ ok: false, code: 'STALE_ATTEMPT' });
    await h.advance(2000);
    await h.ok({ type: 'HeartbeatTask', taskId: second!.taskId, attempt: 2 });
    await h.advance(2000);
    expect((await h.instance('t1')).currentTasks[0]?.status).toBe('RUNNING');
    await h.ok({ type: 'CompleteTask', taskId: second!.taskId, attempt: 2, output: 'ok' });
    expect((await h.instance('t1')).status).toBe('COMPLETED');
    expect(await h.history('t1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted timed v1",
        "#1 TaskScheduled job type=job attempt=1",
        "#2 TaskStarted job attempt=1 worker=w1",
        "#3 TimerFired heartbeat attempt=1",
        "#4 TaskTimedOut job attempt=1 heartbeat retryAt=1003100",
        "#5 TimerFired retry attempt=1",
        "#6 TaskScheduled job type=job attempt=2",
        "#7 TaskStarted job attempt=2 worker=w1",
        "#8 TimerFired heartbeat attempt=2",
        "#9 TaskCompleted job attempt=2 output="ok"",
        "#10 StepCompleted job output="ok"",
        "#11 WorkflowCompleted output="ok"",
      ]
    `);
  });

  it('times out an attempt that outlives its start-to-close lease', async () => {
    const h = await harnessWith(timed.replace('heartbeatMs: 3000', 'heartbeatMs: 0'));
    await h.start('t2', 'timed');
    await h.activate('job');
    await h.advance(10_000);
    await h.advance(100);
    await h.activate('job');
    await h.advance(10_000);
    const view = await h.instance('t2');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('TIMEOUT_STARTTOCLOSE');
  });

  it('times out a task nobody takes (schedule-to-start)', async () => {
    const h = await harnessWith(timed);
    await h.start('t3', 'timed');
    await h.advance(60_000);
    expect((await h.instance('t3')).currentTasks[0]?.status).toBe('RETRY_WAIT');
  });

  it('fails the whole workflow at its timeout', async () => {
    const h = await harnessWith(`
name: slow
timeoutMs: 5000
tasks: [{ ref: job, type: worker, taskType: slowjob }]
`);
    await h.start('t4', 'slow');
    await h.advance(5000);
    const view = await h.instance('t4');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('WORKFLOW_TIMEOUT');
    expect(await h.activate('slowjob')).toEqual([]);
    expect(await listNextTimers(h.kv, 10)).toEqual([]);
  });
});

describe('attempt tokens', () => {
  it('acknowledges a repeated completion once and applies it once', async () => {
    const h = await harnessWith(`
name: once
tasks:
  - { ref: a, type: worker, taskType: a }
  - { ref: b, type: worker, taskType: b }
`);
    await h.start('o1', 'once');
    const [task] = await h.activate('a');
    const complete = { type: 'CompleteTask' as const, taskId: task!.taskId, attempt: 1, output: 1 };
    expect(await h.ok(complete)).toMatchObject({ duplicate: false });
    const before = h.kv.dump();
    expect(await h.ok(complete)).toMatchObject({ duplicate: true });
    expect(h.kv.dump()).toEqual(before);
    expect((await h.activate('b')).length).toBe(1);
  });
});

describe('compensation', () => {
  const saga = `
name: saga
tasks:
  - ref: one
    type: worker
    taskType: one
    compensation: { ref: undo_one, type: worker, taskType: undo }
  - ref: two
    type: worker
    taskType: two
    compensation: { ref: undo_two, type: worker, taskType: undo, retry: { maxAttempts: 1 } }
  - { ref: three, type: worker, taskType: three }
`;

  it('runs compensations on cancel and ends COMPENSATED', async () => {
    const h = await harnessWith(saga);
    await h.start('s1', 'saga');
    await h.work('one');
    await h.ok({ type: 'CancelWorkflow', instanceId: 's1', reason: 'customer changed their mind' });
    expect((await h.instance('s1')).status).toBe('COMPENSATING');
    await h.work('undo');
    const view = await h.instance('s1');
    expect(view.status).toBe('COMPENSATED');
    expect(view.error?.code).toBe('CANCELLED');
  });

  it('ends COMPENSATION_FAILED with the reason when an undo fails', async () => {
    const h = await harnessWith(saga);
    await h.start('s2', 'saga');
    await h.work('one');
    await h.work('two');
    await h.failWork('three', 'BROKEN', false);
    await h.failWork('undo', 'UNDO_BROKEN');
    const view = await h.instance('s2');
    expect(view.status).toBe('COMPENSATION_FAILED');
    expect(view.error?.message).toContain('compensation of two failed');
    expect(await h.history('s2')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted saga v1",
        "#1 TaskScheduled one type=one attempt=1",
        "#2 TaskStarted one attempt=1 worker=w1",
        "#3 TaskCompleted one attempt=1 output={}",
        "#4 StepCompleted one output={}",
        "#5 TaskScheduled two type=two attempt=1",
        "#6 TaskStarted two attempt=1 worker=w1",
        "#7 TaskCompleted two attempt=1 output={}",
        "#8 StepCompleted two output={}",
        "#9 TaskScheduled three type=three attempt=1",
        "#10 TaskStarted three attempt=1 worker=w1",
        "#11 TaskFailed three attempt=1 BROKEN",
        "#12 StepFailed three BROKEN",
        "#13 CompensationStarted cause=FAILED BROKEN at three",
        "#14 CompensationScheduled undo_two for two",
        "#15 TaskScheduled undo_two type=undo attempt=1",
        "#16 TaskStarted undo_two attempt=1 worker=w1",
        "#17 TaskFailed undo_two attempt=1 UNDO_BROKEN",
        "#18 StepFailed undo_two UNDO_BROKEN",
        "#19 WorkflowCompensationFailed compensation of two failed: undo failed with UNDO_BROKEN",
      ]
    `);
  });
});

describe('operations', () => {
  const twoStep = `
name: two
tasks:
  - { ref: a, type: worker, taskType: a }
  - { ref: b, type: worker, taskType: b, retry: { maxAttempts: 1 } }
  - { ref: c, type: worker, taskType: c }
`;

  it('pauses (schedules nothing new) and resumes', async () => {
    const h = await harnessWith(twoStep);
    await h.start('op1', 'two');
    const [a] = await h.activate('a');
    await h.ok({ type: 'PauseWorkflow', instanceId: 'op1' });
    await h.ok({ type: 'CompleteTask', taskId: a!.taskId, attempt: 1, output: 1 });
    expect(await h.activate('b')).toEqual([]);
    expect((await h.instance('op1')).status).toBe('PAUSED');
    await h.ok({ type: 'ResumeWorkflow', instanceId: 'op1' });
    expect((await h.activate('b')).length).toBe(1);
  });

  it('retries a failed instance from the failed task', async () => {
    const h = await harnessWith(twoStep);
    await h.start('op2', 'two');
    await h.work('a');
    await h.failWork('b', 'OOPS');
    expect((await h.instance('op2')).status).toBe('FAILED');
    await h.ok({ type: 'RetryWorkflow', instanceId: 'op2' });
    expect(await h.activate('a')).toEqual([]);
    await h.work('b');
    await h.work('c', 'done');
    const view = await h.instance('op2');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toBe('done');
  });

  it('restarts a closed instance from the start and terminates a running one', async () => {
    const h = await harnessWith(twoStep);
    await h.start('op3', 'two');
    await h.ok({ type: 'TerminateWorkflow', instanceId: 'op3', reason: 'wrong input' });
    expect((await h.instance('op3')).status).toBe('TERMINATED');
    expect(await h.activate('a')).toEqual([]);
    expect(await h.run({ type: 'TerminateWorkflow', instanceId: 'op3' })).toMatchObject({
      ok: false,
      code: 'INSTANCE_CLOSED',
    });
    await h.ok({ type: 'RestartWorkflow', instanceId: 'op3' });
    expect((await h.instance('op3')).status).toBe('RUNNING');
    expect((await h.activate('a')).length).toBe(1);
  });

  it('keeps per task-type limits from the definition and enforces concurrency', async () => {
    const h = await harnessWith(`
name: limited
tasks: [{ ref: a, type: worker, taskType: limited, concurrencyLimit: 1, rateLimitPerSecond: 5 }]
`);
    await h.start('lim1', 'limited');
    await h.start('lim2', 'limited');
    expect((await h.activate('limited', 10)).length).toBe(1);
    expect(await getTaskTypeSettings(h.kv, 'limited')).toEqual({
      taskType: 'limited',
      running: 1,
      concurrencyLimit: 1,
      rateLimitPerSecond: 5,
    });
    expect(await h.activate('limited', 10)).toEqual([]);
  });

  it('orders ready tasks by priority, then age', async () => {
    const h = await harnessWith(`
name: prio
tasks:
  - ref: route
    type: switch
    cases: [{ when: input.urgent, tasks: [{ ref: hi, type: worker, taskType: q, priority: 90 }] }]
    default: [{ ref: lo, type: worker, taskType: q, priority: 10 }]
`);
    await h.start('low', 'prio', { urgent: false });
    await h.start('high', 'prio', { urgent: true });
    const tasks = await h.activate('q', 10);
    expect(tasks.map((task) => task.instanceId)).toEqual(['high', 'low']);
  });
});

describe('idempotent start', () => {
  const simple = `
name: simple
tasks: [{ ref: a, type: worker, taskType: a }]
`;

  it('applies the reuse policy to a workflow id', async () => {
    const h = await harnessWith(simple);
    await h.start('id1', 'simple');
    expect(
      await h.run({ type: 'StartWorkflow', instanceId: 'id1', definitionName: 'simple' }),
    ).toMatchObject({ ok: false, code: 'INSTANCE_ALREADY_EXISTS' });
    expect(await h.start('id1', 'simple', {}, { reusePolicy: 'RETURN_EXISTING' })).toMatchObject({
      existing: true,
      status: 'RUNNING',
    });
    expect(
      await h.run({
        type: 'StartWorkflow',
        instanceId: 'id1',
        definitionName: 'simple',
        reusePolicy: 'ALLOW_IF_CLOSED',
      }),
    ).toMatchObject({ ok: false });
    await h.work('a');
    expect(await h.start('id1', 'simple', {}, { reusePolicy: 'ALLOW_IF_CLOSED' })).toMatchObject({
      existing: false,
      status: 'RUNNING',
    });
    expect(await h.history('id1')).toEqual([
      '#0 WorkflowStarted simple v1',
      '#1 TaskScheduled a type=a attempt=1',
    ]);
  });

  it('applies the reuse policy to a business key and lists by it', async () => {
    const h = await harnessWith(simple);
    await h.start('bk1', 'simple', {}, { businessKey: 'order-77' });
    expect(
      await h.start(
        'bk2',
        'simple',
        {},
        { businessKey: 'order-77', reusePolicy: 'RETURN_EXISTING' },
      ),
    ).toMatchObject({ instanceId: 'bk1', existing: true });
    expect(
      await h.run({
        type: 'StartWorkflow',
        instanceId: 'bk3',
        definitionName: 'simple',
        businessKey: 'order-77',
      }),
    ).toMatchObject({ ok: false, code: 'INSTANCE_ALREADY_EXISTS' });
    const page = await listInstances(h.kv, { businessKey: 'order-77' });
    expect(page.instances.map((instance) => instance.instanceId)).toEqual(['bk1']);
  });
});

describe('versions', () => {
  it('registers identical as the same version and changed as a new one; instances keep theirs', async () => {
    const h = new EngineHarness();
    const v1 = 'name: v\ntasks: [{ ref: a, type: worker, taskType: a1 }]\n';
    expect(await h.register(v1)).toBe(1);
    expect(
      await h.register(
        '{"name":"v","tasks":[{"type":"worker","ref":"a","taskType":"a1"}]}',
        'json',
      ),
    ).toBe(1);
    await h.start('old', 'v');
    expect(await h.register(v1.replace('a1', 'a2'))).toBe(2);
    await h.start('new', 'v');
    await h.start('pinned', 'v', {}, { version: 1 });
    expect((await h.instance('old')).definitionVersion).toBe(1);
    expect((await h.instance('new')).definitionVersion).toBe(2);
    expect((await h.activate('a1', 10)).map((task) => task.instanceId)).toEqual(['old', 'pinned']);
  });
});

describe('history and retention', () => {
  it('bounds the history, keeping the newest events', async () => {
    const h = new EngineHarness({ limits: { maxHistoryEvents: 5 } });
    await h.register(
      'name: long\ntasks:\n' +
        [1, 2, 3, 4]
          .map((i) => `  - { ref: s${i}, type: set, variables: { v${i}: '${i}' } }`)
          .join('\n'),
    );
    await h.start('long1', 'long');
    const view = await h.instance('long1');
    expect(view.status).toBe('COMPLETED');
    expect(view.historyTruncatedCount).toBe(9);
    expect(await h.history('long1')).toMatchInlineSnapshot(`
      [
        "#9 StepCompleted s3 output={"v3":3}",
        "#10 StepStarted s4 (set)",
        "#11 VariablesSet s4 {"v4":4}",
        "#12 StepCompleted s4 output={"v4":4}",
        "#13 WorkflowCompleted output={"v4":4}",
      ]
    `);
  });

  it('prunes closed instances older than the cutoff with everything they own', async () => {
    const h = await harnessWith('name: quick\ntasks: [{ ref: a, type: worker, taskType: a }]\n');
    const baseline = h.kv.dump().map(([key]) => key);
    await h.start('old', 'quick');
    await h.work('a');
    h.nowMs += 10_000;
    await h.start('young', 'quick');
    await h.work('a');
    await h.start('running', 'quick');
    const response = await h.ok({
      type: 'PruneClosed',
      cutoffMs: h.nowMs - 5_000,
      maxInstances: 10,
    });
    expect(response).toEqual({ type: 'PruneClosed', pruned: ['old'] });
    const left = h.kv
      .dump()
      .map(([key]) => key)
      .filter((key) => !baseline.includes(key));
    expect(left.filter((key) => key.includes('old'))).toEqual([]);
    expect(left.filter((key) => key.includes('young')).length).toBeGreaterThan(0);
    expect(
      (await listInstances(h.kv, {})).instances.map((instance) => instance.instanceId),
    ).toEqual(['young', 'running']);
    expect(await listDueTimers(h.kv, h.nowMs + 1e9, 10)).toEqual([]);
  });
});

describe('history event bound', () => {
  it('keeps large payloads out of the history but in the state', async () => {
    const h = new EngineHarness({ limits: { maxHistoryEventBytes: 300 } });
    await h.register('name: big\ntasks: [{ ref: a, type: worker, taskType: a }]\n');
    await h.start('big1', 'big', { blob: 'z'.repeat(1000) });
    await h.work('a', { blob: 'q'.repeat(1000) });
    const view = await h.instance('big1');
    expect(view.output).toEqual({ blob: 'q'.repeat(1000) });
    const history = await h.history('big1');
    expect(history[0]).toBe('#0 WorkflowStarted big v1');
    expect(history).toContain('#3 TaskCompleted a attempt=1 output={"omittedBytes":1011}');
  });
});

describe('pause and queued tasks', () => {
  const queued = `
name: queued
tasks:
  - ref: job
    type: worker
    taskType: job
    timeouts: { scheduleToStartMs: 1000 }
    retry: { maxAttempts: 1 }
`;

  it('takes a queued task out of reach while paused and restarts its schedule-to-start clock at the resume', async () => {
    const h = await harnessWith(queued);
    await h.start('q1', 'queued');
    await h.advance(600);
    await h.ok({ type: 'PauseWorkflow', instanceId: 'q1' });
    // No worker can lease it, and its schedule-to-start clock does not run out while paused.
    expect(await h.activate('job')).toEqual([]);
    await h.advance(5000);
    expect((await h.instance('q1')).status).toBe('PAUSED');
    expect((await h.instance('q1')).currentTasks[0]?.status).toBe('READY');
    await h.ok({ type: 'ResumeWorkflow', instanceId: 'q1' });
    // A whole new window from the resume: 600 ms after it the task is still waiting...
    await h.advance(600);
    expect((await h.instance('q1')).status).toBe('RUNNING');
    // ...and a worker gets it.
    const [task] = await h.activate('job');
    expect(task?.attempt).toBe(1);
    await h.ok({ type: 'CompleteTask', taskId: task!.taskId, attempt: 1, output: 'done' });
    expect((await h.instance('q1')).status).toBe('COMPLETED');
  });

  it('still times out a released task that no worker takes', async () => {
    const h = await harnessWith(queued);
    await h.start('q2', 'queued');
    await h.ok({ type: 'PauseWorkflow', instanceId: 'q2' });
    await h.ok({ type: 'ResumeWorkflow', instanceId: 'q2' });
    await h.advance(1000);
    const view = await h.instance('q2');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('TIMEOUT_SCHEDULETOSTART');
  });
});

describe('pause and retries', () => {
  it('holds a retry that comes due while paused until the resume', async () => {
    const h = new EngineHarness();
    await h.register(
      'name: held\ntasks: [{ ref: a, type: worker, taskType: a, retry: { maxAttempts: 2, backoff: fixed, initialIntervalMs: 100, maxIntervalMs: 100, jitter: 0 } }]\n',
    );
    await h.start('p1', 'held');
    await h.failWork('a', 'BUSY');
    await h.ok({ type: 'PauseWorkflow', instanceId: 'p1' });
    await h.advance(100);
    expect(await h.activate('a')).toEqual([]);
    expect((await h.instance('p1')).currentTasks[0]?.status).toBe('RETRY_WAIT');
    await h.ok({ type: 'ResumeWorkflow', instanceId: 'p1' });
    const [retry] = await h.activate('a');
    expect(retry?.attempt).toBe(2);
  });
});
