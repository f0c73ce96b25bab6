import { describe, expect, it } from 'vitest';
import { HTTP_TASK_TYPE } from './state.ts';
import { EngineHarness } from './testing/harness.ts';

/** Golden histories, one per task type: each reads as the story of the instance. */

async function harnessWith(...definitions: string[]): Promise<EngineHarness> {
  const h = new EngineHarness();
  for (const definition of definitions) await h.register(definition);
  return h;
}

describe('worker', () => {
  it('maps input, assigns variables and computes the workflow output', async () => {
    const h = await harnessWith(`
name: greet
output: '"hello " & vars.who'
tasks:
  - ref: lookup
    type: worker
    taskType: people.lookup
    input: { id: =input.id }
    assign: { who: result.name }
`);
    await h.start('g1', 'greet', { id: 7 });
    const [task] = await h.activate('people.lookup');
    expect(task?.input).toEqual({ id: 7 });
    await h.ok({ type: 'CompleteTask', taskId: task!.taskId, attempt: 1, output: { name: 'Ada' } });
    const view = await h.instance('g1');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toBe('hello Ada');
    expect(await h.history('g1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted greet v1",
        "#1 TaskScheduled lookup type=people.lookup attempt=1",
        "#2 TaskStarted lookup attempt=1 worker=w1",
        "#3 TaskCompleted lookup attempt=1 output={"name":"Ada"}",
        "#4 VariablesSet lookup {"who":"Ada"}",
        "#5 StepCompleted lookup output={"name":"Ada"}",
        "#6 WorkflowCompleted output="hello Ada"",
      ]
    `);
  });
});

describe('http', () => {
  const httpDefinition = `
name: quote
tasks:
  - ref: call
    type: http
    method: POST
    url: ="https://example.com/orders/" & input.id
    headers: { X-Id: =input.id }
    body: { n: =input.n }
    expectedStatus: [200]
    timeoutMs: 5000
    retry: { maxAttempts: 2, backoff: fixed, initialIntervalMs: 100, maxIntervalMs: 100, jitter: 0 }
`;

  it('queues the request for the leader and takes the response as output', async () => {
    const h = await harnessWith(httpDefinition);
    await h.start('q1', 'quote', { id: 'x1', n: 3 });
    const [task] = await h.activate(HTTP_TASK_TYPE);
    expect(task?.http).toEqual({
      method: 'POST',
      url: 'https://example.com/orders/x1',
      headers: { 'X-Id': 'x1' },
      body: { n: 3 },
      expectedStatus: [200],
      timeoutMs: 5000,
    });
    expect(task?.leaseExpiresMs).toBe(h.nowMs + 5000);
    const response = { status: 200, headers: {}, body: { price: 12 } };
    await h.ok({ type: 'CompleteTask', taskId: task!.taskId, attempt: 1, output: response });
    expect((await h.instance('q1')).output).toEqual(response);
  });

  it('treats an unexpected status as a failure and retries it', async () => {
    const h = await harnessWith(httpDefinition);
    await h.start('q2', 'quote', { id: 'x2', n: 1 });
    const [first] = await h.activate(HTTP_TASK_TYPE);
    await h.ok({
      type: 'CompleteTask',
      taskId: first!.taskId,
      attempt: 1,
      output: { status: 503, headers: {}, body: null },
    });
    await h.advance(100);
    const [second] = await h.activate(HTTP_TASK_TYPE);
    expect(second?.attempt).toBe(2);
    await h.ok({
      type: 'CompleteTask',
      taskId: second!.taskId,
      attempt: 2,
      output: { status: 500, headers: {}, body: null },
    });
    const view = await h.instance('q2');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('HTTP_500');
    expect(await h.history('q2')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted quote v1",
        "#1 TaskScheduled call type=baton.http attempt=1",
        "#2 TaskStarted call attempt=1 worker=w1",
        "#3 TaskFailed call attempt=1 HTTP_503 retryAt=1000100",
        "#4 TimerFired retry attempt=1",
        "#5 TaskScheduled call type=baton.http attempt=2",
        "#6 TaskStarted call attempt=2 worker=w1",
        "#7 TaskFailed call attempt=2 HTTP_500",
        "#8 StepFailed call HTTP_500",
        "#9 WorkflowFailed HTTP_500 at call",
      ]
    `);
  });
});

describe('parallel', () => {
  it('joins all branches and outputs their results in branch order', async () => {
    const h = await harnessWith(`
name: par
tasks:
  - ref: both
    type: parallel
    branches:
      - - { ref: a, type: worker, taskType: t.a }
      - - { ref: b, type: worker, taskType: t.b }
`);
    await h.start('p1', 'par');
    await h.work('t.b', 'B');
    expect((await h.instance('p1')).status).toBe('RUNNING');
    await h.work('t.a', 'A');
    const view = await h.instance('p1');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toEqual(['A', 'B']);
    expect(await h.history('p1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted par v1",
        "#1 StepStarted both (parallel)",
        "#2 FanOutStarted both slots=2",
        "#3 TaskScheduled a type=t.a attempt=1",
        "#4 TaskScheduled b type=t.b attempt=1",
        "#5 TaskStarted b attempt=1 worker=w1",
        "#6 TaskCompleted b attempt=1 output="B"",
        "#7 StepCompleted b output="B"",
        "#8 TaskStarted a attempt=1 worker=w1",
        "#9 TaskCompleted a attempt=1 output="A"",
        "#10 StepCompleted a output="A"",
        "#11 StepCompleted both output=["A","B"]",
        "#12 WorkflowCompleted output=["A","B"]",
      ]
    `);
  });

  it('completes on a quorum and cancels the rest', async () => {
    const h = await harnessWith(`
name: quorum
tasks:
  - ref: notify
    type: parallel
    join: { quorum: 2 }
    branches:
      - - { ref: email, type: worker, taskType: n.email }
      - - { ref: sms, type: worker, taskType: n.sms }
      - - { ref: push, type: worker, taskType: n.push }
`);
    await h.start('n1', 'quorum');
    await h.work('n.sms', 1);
    await h.failWork('n.email', 'DOWN', false);
    expect((await h.instance('n1')).status).toBe('RUNNING');
    await h.work('n.push', 3);
    const view = await h.instance('n1');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toEqual([null, 1, 3]);
  });

  it('fails once the quorum cannot be reached', async () => {
    const h = await harnessWith(`
name: quorum2
tasks:
  - ref: notify
    type: parallel
    join: { quorum: 2 }
    branches:
      - - { ref: email, type: worker, taskType: n.email, retry: { maxAttempts: 1 } }
      - - { ref: sms, type: worker, taskType: n.sms, retry: { maxAttempts: 1 } }
      - - { ref: push, type: worker, taskType: n.push }
`);
    await h.start('n2', 'quorum2');
    await h.failWork('n.email', 'DOWN');
    await h.failWork('n.sms', 'DOWN');
    const view = await h.instance('n2');
    expect(view.status).toBe('FAILED');
    expect(view.currentTasks).toEqual([]);
    expect(await h.activate('n.push')).toEqual([]);
  });
});

describe('foreach', () => {
  it('fans out with a concurrency cap and keeps item order', async () => {
    const h = await harnessWith(`
name: each
tasks:
  - ref: pick
    type: foreach
    items: input.lines
    concurrency: 2
    body:
      - ref: pick_line
        type: worker
        taskType: pick
        input: { sku: =item, line: =index }
`);
    await h.start('e1', 'each', { lines: ['a', 'b', 'c'] });
    const firstWave = await h.activate('pick', 10);
    expect(firstWave.map((task) => task.input)).toEqual([
      { sku: 'a', line: 0 },
      { sku: 'b', line: 1 },
    ]);
    await h.ok({ type: 'CompleteTask', taskId: firstWave[1]!.taskId, attempt: 1, output: 'B' });
    const secondWave = await h.activate('pick', 10);
    expect(secondWave.map((task) => task.input)).toEqual([{ sku: 'c', line: 2 }]);
    await h.ok({ type: 'CompleteTask', taskId: secondWave[0]!.taskId, attempt: 1, output: 'C' });
    await h.ok({ type: 'CompleteTask', taskId: firstWave[0]!.taskId, attempt: 1, output: 'A' });
    const view = await h.instance('e1');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toEqual(['A', 'B', 'C']);
  });

  it('completes at once over an empty list and fails over a non-list', async () => {
    const h = await harnessWith(`
name: each2
tasks:
  - ref: pick
    type: foreach
    items: input.lines
    concurrency: 2
    body: [{ ref: pick_line, type: worker, taskType: pick }]
`);
    await h.start('e2', 'each2', { lines: [] });
    expect((await h.instance('e2')).output).toEqual([]);
    await h.start('e3', 'each2', { lines: 'nope' });
    expect((await h.instance('e3')).error?.code).toBe('FOREACH_NOT_ARRAY');
  });
});

describe('switch', () => {
  const definition = `
name: route
tasks:
  - ref: route
    type: switch
    cases:
      - when: input.size > 10
        tasks: [{ ref: big, type: transform, expression: '"freight"' }]
      - when: input.express
        tasks: [{ ref: fast, type: transform, expression: '"express"' }]
    default:
      - { ref: normal, type: transform, expression: '"standard"' }
`;

  it('takes the first case that holds, else the default', async () => {
    const h = await harnessWith(definition);
    await h.start('s1', 'route', { size: 20, express: true });
    await h.start('s2', 'route', { size: 1, express: true });
    await h.start('s3', 'route', { size: 1 });
    expect((await h.instance('s1')).output).toBe('freight');
    expect((await h.instance('s2')).output).toBe('express');
    expect((await h.instance('s3')).output).toBe('standard');
    expect(await h.history('s2')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted route v1",
        "#1 StepStarted route (switch)",
        "#2 BranchChosen route case:1",
        "#3 StepStarted fast (transform)",
        "#4 StepCompleted fast output="express"",
        "#5 StepCompleted route output="express"",
        "#6 WorkflowCompleted output="express"",
      ]
    `);
  });
});

describe('loop', () => {
  it('repeats its body while the condition holds', async () => {
    const h = await harnessWith(`
name: poll
tasks:
  - ref: poll
    type: loop
    maxIterations: 5
    while: tasks.check.output.ready != true
    body:
      - { ref: check, type: worker, taskType: check, input: { n: =iteration } }
`);
    await h.start('l1', 'poll');
    expect((await h.work('check', { ready: false })).input).toEqual({ n: 0 });
    expect((await h.work('check', { ready: false })).input).toEqual({ n: 1 });
    expect((await h.work('check', { ready: true })).input).toEqual({ n: 2 });
    const view = await h.instance('l1');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toEqual({ ready: true });
  });

  it('fails with LOOP_LIMIT at its bound', async () => {
    const h = await harnessWith(`
name: forever
tasks:
  - ref: spin
    type: loop
    maxIterations: 3
    while: 'true'
    body: [{ ref: tick, type: transform, expression: '$exists(vars.n) ? vars.n + 1 : 1', assign: { n: result } }]
`);
    await h.start('l2', 'forever');
    const view = await h.instance('l2');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('LOOP_LIMIT');
    expect(view.variables).toEqual({ n: 3 });
    expect(await h.history('l2')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted forever v1",
        "#1 StepStarted spin (loop)",
        "#2 LoopIterationStarted spin iteration=0",
        "#3 StepStarted tick (transform)",
        "#4 VariablesSet tick {"n":1}",
        "#5 StepCompleted tick output=1",
        "#6 LoopIterationStarted spin iteration=1",
        "#7 StepStarted tick (transform)",
        "#8 VariablesSet tick {"n":2}",
        "#9 StepCompleted tick output=2",
        "#10 LoopIterationStarted spin iteration=2",
        "#11 StepStarted tick (transform)",
        "#12 VariablesSet tick {"n":3}",
        "#13 StepCompleted tick output=3",
        "#14 StepFailed spin LOOP_LIMIT",
        "#15 WorkflowFailed LOOP_LIMIT at spin",
      ]
    `);
  });
});

describe('subworkflow', () => {
  it('starts a child, waits for it and takes its output', async () => {
    const h = await harnessWith(
      `
name: child
output: '{"paid": input.amount}'
tasks: [{ ref: pay, type: worker, taskType: pay, input: =input }]
`,
      `
name: parent
tasks:
  - { ref: run_child, type: subworkflow, workflow: child, version: latest, input: { amount: =input.amount } }
  - { ref: after, type: transform, expression: 'tasks.run_child.output.paid * 2' }
`,
    );
    await h.start('parent-1', 'parent', { amount: 21 });
    const parent = await h.instance('parent-1');
    const childId = parent.currentTasks[0]?.childInstanceId;
    expect(childId).toBe('parent-1:r3.3');
    expect((await h.instance(childId!)).parentInstanceId).toBe('parent-1');
    await h.work('pay', {});
    expect((await h.instance(childId!)).status).toBe('COMPLETED');
    const done = await h.instance('parent-1');
    expect(done.status).toBe('COMPLETED');
    expect(done.output).toBe(42);
    expect(await h.history('parent-1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted parent v1",
        "#1 StepStarted run_child (subworkflow)",
        "#2 ChildWorkflowStarted run_child child v1 id=parent-1:r3.3",
        "#3 ChildWorkflowClosed run_child COMPLETED",
        "#4 StepCompleted run_child output={"paid":21}",
        "#5 StepStarted after (transform)",
        "#6 StepCompleted after output=42",
        "#7 WorkflowCompleted output=42",
      ]
    `);
  });

  it('fails the parent step when the child fails', async () => {
    const h = await harnessWith(
      `
name: child2
tasks: [{ ref: pay, type: worker, taskType: pay2, retry: { maxAttempts: 1 } }]
`,
      `
name: parent2
tasks: [{ ref: run_child, type: subworkflow, workflow: child2, version: 1, retry: { maxAttempts: 1 } }]
`,
    );
    await h.start('p2', 'parent2');
    await h.failWork('pay2', 'BROKE');
    const view = await h.instance('p2');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('CHILD_FAILED');
  });

  const retried = [
    `
name: child3
tasks: [{ ref: pay, type: worker, taskType: pay3, retry: { maxAttempts: 1 } }]
`,
    `
name: parent3
tasks:
  - ref: run_child
    type: subworkflow
    workflow: child3
    version: 1
    retry: { maxAttempts: 2, backoff: fixed, initialIntervalMs: 500, maxIntervalMs: 500, jitter: 0 }
`,
  ] as const;

  it('retries a failed child after the backoff, not at once', async () => {
    const h = await harnessWith(...retried);
    await h.start('p3', 'parent3');
    await h.failWork('pay3', 'BROKE');
    // Backing off: no second child yet, so no task to take.
    expect(await h.activate('pay3')).toEqual([]);
    await h.advance(499);
    expect(await h.activate('pay3')).toEqual([]);
    await h.advance(1);
    await h.work('pay3', 'paid');
    const view = await h.instance('p3');
    expect(view.status).toBe('COMPLETED');
    expect(await h.history('p3')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted parent3 v1",
        "#1 StepStarted run_child (subworkflow)",
        "#2 ChildWorkflowStarted run_child child3 v1 id=p3:r3.3",
        "#3 ChildWorkflowClosed run_child FAILED",
        "#4 TimerSet childRetry due=1000500",
        "#5 TimerFired childRetry",
        "#6 ChildWorkflowStarted run_child child3 v1 id=p3:r3.5",
        "#7 ChildWorkflowClosed run_child COMPLETED",
        "#8 StepCompleted run_child output="paid"",
        "#9 WorkflowCompleted output="paid"",
      ]
    `);
  });

  it('holds a child retry that comes due while paused until the resume, and cancels a pending one', async () => {
    const h = await harnessWith(...retried);
    await h.start('p4', 'parent3');
    await h.failWork('pay3', 'BROKE');
    await h.ok({ type: 'PauseWorkflow', instanceId: 'p4' });
    await h.advance(1000);
    expect(await h.activate('pay3')).toEqual([]);
    await h.ok({ type: 'ResumeWorkflow', instanceId: 'p4' });
    await h.work('pay3', 'paid');
    expect((await h.instance('p4')).status).toBe('COMPLETED');

    await h.start('p5', 'parent3');
    await h.failWork('pay3', 'BROKE');
    await h.ok({ type: 'CancelWorkflow', instanceId: 'p5' });
    expect((await h.instance('p5')).status).toBe('CANCELLED');
    await h.advance(1000);
    expect(await h.activate('pay3')).toEqual([]);
  });
});

describe('wait', () => {
  it('sets a timer and goes on when it fires', async () => {
    const h = await harnessWith(`
name: nap
tasks:
  - { ref: nap, type: wait, durationMs: 5000 }
  - { ref: until, type: wait, until: '$millis() + 1000' }
  - { ref: done, type: transform, expression: '"rested"' }
`);
    await h.start('w1', 'nap');
    expect(await h.advance(4999)).toBe(0);
    expect(await h.advance(1)).toBe(1);
    expect((await h.instance('w1')).status).toBe('RUNNING');
    expect(await h.advance(1000)).toBe(1);
    expect((await h.instance('w1')).output).toBe('rested');
    expect(await h.history('w1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted nap v1",
        "#1 StepStarted nap (wait)",
        "#2 TimerSet wait due=1005000",
        "#3 TimerFired wait",
        "#4 StepCompleted nap output=null",
        "#5 StepStarted until (wait)",
        "#6 TimerSet wait due=1006000",
        "#7 TimerFired wait",
        "#8 StepCompleted until output=null",
        "#9 StepStarted done (transform)",
        "#10 StepCompleted done output="rested"",
        "#11 WorkflowCompleted output="rested"",
      ]
    `);
  });

  it('rejects firing a timer before it is due', async () => {
    const h = await harnessWith(`
name: nap2
tasks: [{ ref: nap, type: wait, durationMs: 5000 }]
`);
    await h.start('w2', 'nap2');
    const view = await h.instance('w2');
    expect(view.currentTasks[0]?.kind).toBe('wait');
    const { listNextTimers } = await import('./queries.ts');
    const [timer] = await listNextTimers(h.kv, 10);
    const result = await h.run({ type: 'FireTimer', timerId: timer!.id });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe('TIMER_NOT_DUE');
  });
});

describe('signal', () => {
  const definition = `
name: approve
tasks:
  - { ref: approval, type: signal, name: approval, timeoutMs: 10000, assign: { by: result.by } }
  - { ref: done, type: transform, expression: 'vars.by' }
`;

  it('waits for the named signal and takes its payload', async () => {
    const h = await harnessWith(definition);
    await h.start('a1', 'approve');
    await h.ok({ type: 'Signal', instanceId: 'a1', name: 'other', payload: 1 });
    expect((await h.instance('a1')).status).toBe('RUNNING');
    const response = await h.ok({
      type: 'Signal',
      instanceId: 'a1',
      name: 'approval',
      payload: { by: 'bob' },
    });
    expect(response).toMatchObject({ delivered: true });
    expect((await h.instance('a1')).output).toBe('bob');
    expect(await h.history('a1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted approve v1",
        "#1 StepStarted approval (signal)",
        "#2 TimerSet signalTimeout due=1010000",
        "#3 SignalReceived other (buffered) payload=1",
        "#4 SignalReceived approval payload={"by":"bob"}",
        "#5 SignalConsumed approval approval",
        "#6 VariablesSet approval {"by":"bob"}",
        "#7 StepCompleted approval output={"by":"bob"}",
        "#8 StepStarted done (transform)",
        "#9 StepCompleted done output="bob"",
        "#10 WorkflowCompleted output="bob"",
      ]
    `);
  });

  it('buffers a signal sent before the wait is reached', async () => {
    const h = await harnessWith(`
name: late
tasks:
  - { ref: first, type: worker, taskType: slow }
  - { ref: approval, type: signal, name: approval }
`);
    await h.start('a2', 'late');
    expect(
      await h.ok({ type: 'Signal', instanceId: 'a2', name: 'approval', payload: 'early' }),
    ).toMatchObject({ delivered: false });
    await h.work('slow');
    const view = await h.instance('a2');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toBe('early');
  });

  it('fails with SIGNAL_TIMEOUT when none arrives in time', async () => {
    const h = await harnessWith(definition);
    await h.start('a3', 'approve');
    await h.advance(10_000);
    const view = await h.instance('a3');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('SIGNAL_TIMEOUT');
  });
});

describe('set, transform, terminate', () => {
  it('sets variables in order, transforms, and terminates early with an output', async () => {
    const h = await harnessWith(`
name: calc
tasks:
  - { ref: init, type: set, variables: { a: '2' } }
  - { ref: more, type: set, variables: { b: 'vars.a * 10' } }
  - { ref: sum, type: transform, expression: 'vars.a + vars.b' }
  - ref: stop
    type: terminate
    status: COMPLETED
    output: '{"sum": tasks.sum.output}'
  - { ref: never, type: worker, taskType: never }
`);
    await h.start('c1', 'calc');
    const view = await h.instance('c1');
    expect(view.variables).toEqual({ a: 2, b: 20 });
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toEqual({ sum: 22 });
    expect(await h.activate('never')).toEqual([]);
    expect(await h.history('c1')).toMatchInlineSnapshot(`
      [
        "#0 WorkflowStarted calc v1",
        "#1 StepStarted init (set)",
        "#2 VariablesSet init {"a":2}",
        "#3 StepCompleted init output={"a":2}",
        "#4 StepStarted more (set)",
        "#5 VariablesSet more {"b":20}",
        "#6 StepCompleted more output={"b":20}",
        "#7 StepStarted sum (transform)",
        "#8 StepCompleted sum output=22",
        "#9 StepStarted stop (terminate)",
        "#10 StepCompleted stop output={"sum":22}",
        "#11 WorkflowCompleted output={"sum":22}",
      ]
    `);
  });

  it('terminates as FAILED with the reason', async () => {
    const h = await harnessWith(`
name: stop
tasks:
  - { ref: stop, type: terminate, status: FAILED, reason: not approved }
`);
    await h.start('c2', 'stop');
    const view = await h.instance('c2');
    expect(view.status).toBe('FAILED');
    expect(view.error).toMatchObject({ code: 'TERMINATED', message: 'not approved' });
  });

  it('fails the workflow when an expression fails', async () => {
    const h = await harnessWith(`
name: bad
tasks:
  - { ref: oops, type: transform, expression: '$number("x")' }
`);
    await h.start('c3', 'bad');
    const view = await h.instance('c3');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('EXPRESSION_FAILED');
  });
});

describe('signal ids', () => {
  it('acknowledges a repeated signal id without applying it again', async () => {
    const h = await harnessWith(
      'name: twice\ntasks: [{ ref: w, type: worker, taskType: never }]\n',
    );
    await h.start('sid', 'twice');
    const signal = {
      type: 'Signal' as const,
      instanceId: 'sid',
      name: 'poke',
      payload: 1,
      signalId: 'client-1',
    };
    expect(await h.ok(signal)).toMatchObject({ duplicate: false });
    const before = h.kv.dump();
    expect(await h.ok(signal)).toMatchObject({ duplicate: true });
    expect(h.kv.dump()).toEqual(before);
    expect(await h.ok({ ...signal, signalId: 'client-2' })).toMatchObject({ duplicate: false });
  });
});
