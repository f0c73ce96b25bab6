import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HTTP_TASK_TYPE } from './state.ts';
import { EngineHarness } from './testing/harness.ts';

/** The definitions helper's example documents, run end to end through the engine. */

const example = (name: string): string =>
  readFileSync(new URL(`./definition/examples/${name}`, import.meta.url), 'utf8');

describe('fulfillment example', () => {
  it('quotes over http, picks per line with a cap, routes, and notifies on a quorum', async () => {
    const h = new EngineHarness();
    await h.register(example('fulfillment.yaml'));
    const lines = [
      { sku: 'a', quantity: 1 },
      { sku: 'b', quantity: 2 },
      { sku: 'c', quantity: 3 },
    ];
    await h.start('f1', 'fulfillment', { orderId: 'o9', lines, express: true, address: 'Main St' });
    const [quote] = await h.activate(HTTP_TASK_TYPE);
    expect(quote?.http).toMatchObject({
      method: 'POST',
      url: 'https://carrier.example.com/v1/quotes',
      body: { destination: 'Main St', parcels: 3 },
    });
    await h.ok({
      type: 'CompleteTask',
      taskId: quote!.taskId,
      attempt: 1,
      output: { status: 201, headers: {}, body: { carrier: 'ACME', price: 7 } },
    });
    for (let i = 0; i < 3; i++) await h.work('warehouse.pick', { picked: i });
    await h.work('shipping.express', { tracking: 'T1' });
    expect(await h.activate('shipping.standard')).toEqual([]);
    await h.work('notify.sms');
    await h.work('notify.push');
    const view = await h.instance('f1');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toEqual({ orderId: 'o9', picked: 3, carrier: 'ACME' });
    expect(await h.activate('notify.email')).toEqual([]);
  });
});

describe('expense approval example', () => {
  const payout = `
name: payout
output: '{"paid": input.amount}'
tasks: [{ ref: transfer, type: worker, taskType: bank.transfer, input: =input }]
`;

  it('waits for approval, polls, waits until payday, pays through a child and summarizes', async () => {
    const h = new EngineHarness({ startMs: Date.parse('2026-01-01T00:00:00Z') });
    await h.register(payout);
    await h.register(example('approval.yaml'));
    await h.start('x1', 'expense-approval', {
      expenseId: 'e1',
      amount: 1500,
      payDate: '2026-01-02T00:00:00Z',
    });
    await h.ok({
      type: 'Signal',
      instanceId: 'x1',
      name: 'approval',
      payload: { approved: true, by: 'carol' },
    });
    expect((await h.work('reports.status', { ready: false })).input).toEqual({
      expenseId: 'e1',
      attempt: 0,
    });
    await h.advance(60_000);
    expect((await h.work('reports.status', { ready: true })).input).toEqual({
      expenseId: 'e1',
      attempt: 1,
    });
    await h.advance(60_000);
    expect((await h.instance('x1')).currentTasks[0]?.ref).toBe('payday');
    await h.advance(24 * 60 * 60 * 1000);
    const transfer = await h.work('bank.transfer', {});
    expect(transfer.input).toEqual({ expenseId: 'e1', amount: 1500, approver: 'carol' });
    const view = await h.instance('x1');
    expect(view.status).toBe('COMPLETED');
    expect(view.output).toEqual({ expenseId: 'e1', paid: 1500, approver: 'carol' });
  });

  it('terminates as FAILED when the expense is rejected', async () => {
    const h = new EngineHarness();
    await h.register(payout);
    await h.register(example('approval.yaml'));
    await h.start('x2', 'expense-approval', {
      expenseId: 'e2',
      amount: 5,
      payDate: '2026-01-02T00:00:00Z',
    });
    await h.ok({
      type: 'Signal',
      instanceId: 'x2',
      name: 'approval',
      payload: { approved: false, by: 'dave' },
    });
    const view = await h.instance('x2');
    expect(view.status).toBe('FAILED');
    expect(view.error).toMatchObject({
      code: 'TERMINATED',
      message: 'the expense was not approved',
      details: { rejectedBy: 'dave' },
    });
  });
});

describe('nesting', () => {
  it('compensates foreach iterations with their own item, newest first', async () => {
    const h = new EngineHarness();
    await h.register(`
name: batch
tasks:
  - ref: each
    type: foreach
    items: input.ids
    concurrency: 1
    body:
      - ref: book
        type: worker
        taskType: book
        input: { id: =item }
        compensation: { ref: unbook, type: worker, taskType: unbook, input: { id: =item, booking: =tasks.book.output } }
  - { ref: finish, type: worker, taskType: finish, retry: { maxAttempts: 1 } }
`);
    await h.start('b1', 'batch', { ids: ['x', 'y'] });
    await h.work('book', 'bx');
    await h.work('book', 'by');
    await h.failWork('finish', 'NO');
    const first = await h.work('unbook');
    const second = await h.work('unbook');
    expect([first.input, second.input]).toEqual([
      { id: 'y', booking: 'by' },
      { id: 'x', booking: 'bx' },
    ]);
    expect((await h.instance('b1')).status).toBe('COMPENSATED');
  });

  it('cancels a running child when the parent is cancelled', async () => {
    const h = new EngineHarness();
    await h.register('name: kid\ntasks: [{ ref: k, type: worker, taskType: kid }]\n');
    await h.register(
      'name: mom\ntasks: [{ ref: run, type: subworkflow, workflow: kid, version: latest }]\n',
    );
    await h.start('m1', 'mom');
    const childId = (await h.instance('m1')).currentTasks[0]!.childInstanceId!;
    await h.ok({ type: 'CancelWorkflow', instanceId: 'm1' });
    expect((await h.instance('m1')).status).toBe('CANCELLED');
    expect((await h.instance(childId)).status).toBe('CANCELLED');
    expect(await h.activate('kid')).toEqual([]);
  });

  it('holds foreach iterations and loop turns while paused and runs them on resume', async () => {
    const h = new EngineHarness();
    await h.register(`
name: held
tasks:
  - ref: each
    type: foreach
    items: '[1, 2]'
    concurrency: 1
    body:
      - ref: spin
        type: loop
        maxIterations: 2
        while: iteration < 1
        body: [{ ref: job, type: worker, taskType: job }]
`);
    await h.start('h1', 'held');
    const [job] = await h.activate('job');
    await h.ok({ type: 'PauseWorkflow', instanceId: 'h1' });
    await h.ok({ type: 'CompleteTask', taskId: job!.taskId, attempt: 1, output: 1 });
    expect(await h.activate('job')).toEqual([]);
    await h.ok({ type: 'ResumeWorkflow', instanceId: 'h1' });
    for (let i = 0; i < 3; i++) await h.work('job', i);
    expect((await h.instance('h1')).status).toBe('COMPLETED');
  });
});
