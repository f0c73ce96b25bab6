import { describe, expect, it } from 'vitest';
import {
  getDefinition,
  getHistory,
  getInstance,
  listDefinitions,
  listDefinitionVersions,
  listInstances,
  listNextTimers,
  listReadyTasks,
  scanReadyQueue,
} from './queries.ts';
import { EngineHarness } from './testing/harness.ts';

async function populated(): Promise<EngineHarness> {
  const h = new EngineHarness();
  await h.register('name: alpha\ntasks: [{ ref: a, type: worker, taskType: a }]\n');
  await h.register(
    'name: beta\ntasks: [{ ref: b, type: worker, taskType: b, timeouts: { heartbeatMs: 0 } }]\n',
  );
  await h.register(
    'name: beta\ntasks: [{ ref: b, type: worker, taskType: b, priority: 70, timeouts: { heartbeatMs: 0 } }]\n',
  );
  for (let i = 0; i < 5; i++) {
    h.nowMs += 1000;
    await h.start(`a${i}`, 'alpha', {}, { businessKey: `key-${i}` });
    await h.start(`b${i}`, 'beta');
  }
  await h.work('a');
  return h;
}

describe('queries', () => {
  it('lists by definition, status, business key and time range, newest first, in pages', async () => {
    const h = await populated();
    const ids = (page: { instances: Array<{ instanceId: string }> }): string[] =>
      page.instances.map((instance) => instance.instanceId);
    const first = await listInstances(h.kv, { definitionName: 'alpha' }, { pageSize: 2 });
    expect(ids(first)).toEqual(['a4', 'a3']);
    const second = await listInstances(
      h.kv,
      { definitionName: 'alpha' },
      { pageSize: 2, pageToken: first.nextPageToken! },
    );
    expect(ids(second)).toEqual(['a2', 'a1']);
    const third = await listInstances(
      h.kv,
      { definitionName: 'alpha' },
      { pageSize: 2, pageToken: second.nextPageToken! },
    );
    expect(ids(third)).toEqual(['a0']);
    expect(third.nextPageToken).toBeUndefined();
    expect(ids(await listInstances(h.kv, { status: 'COMPLETED' }))).toEqual(['a0']);
    expect(ids(await listInstances(h.kv, { businessKey: 'key-1' }))).toEqual(['a1']);
    h.nowMs += 1000;
    await h.start('a5', 'alpha', {}, { businessKey: 'key-0', reusePolicy: 'ALLOW_IF_CLOSED' });
    expect(ids(await listInstances(h.kv, { businessKey: 'key-0' }))).toEqual(['a5', 'a0']);
    const start = 1_000_000;
    expect(
      ids(await listInstances(h.kv, { createdFromMs: start + 2000, createdToMs: start + 4000 })),
    ).toEqual(['b2', 'a2', 'b1', 'a1']);
    expect(ids(await listInstances(h.kv, { definitionName: 'beta', status: 'COMPLETED' }))).toEqual(
      [],
    );
  });

  it('gets an instance with its current tasks and a paged history', async () => {
    const h = await populated();
    const view = await getInstance(h.kv, 'b0', { includeHistory: true });
    expect(view).toMatchObject({
      instanceId: 'b0',
      definitionVersion: 2,
      status: 'RUNNING',
      currentTasks: [{ ref: 'b', kind: 'worker', status: 'READY', attempt: 1 }],
    });
    expect(view?.history?.events.map((event) => event.type)).toEqual([
      'WorkflowStarted',
      'TaskScheduled',
    ]);
    const page = await getHistory(h.kv, 'a0', { pageSize: 2 });
    expect(page.events.map((event) => event.seq)).toEqual([0, 1]);
    const rest = await getHistory(h.kv, 'a0', { pageSize: 10, afterSeq: page.nextAfterSeq! });
    expect(rest.events.map((event) => event.type)).toEqual([
      'TaskStarted',
      'TaskCompleted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    expect(await getInstance(h.kv, 'nobody')).toBeUndefined();
  });

  it('lists ready tasks in dispatch order, the ready queue and the next timers', async () => {
    const h = await populated();
    const ready = await listReadyTasks(h.kv, 'b', 3);
    expect(ready.map((task) => task.instanceId)).toEqual(['b0', 'b1', 'b2']);
    const queue = await scanReadyQueue(h.kv, { limit: 100 });
    expect(queue.length).toBe(9);
    const after = await scanReadyQueue(h.kv, { afterKey: queue[3]!.readyKey, limit: 100 });
    expect(after).toEqual(queue.slice(4));
    await h.activate('b', 1);
    const [lease] = await listNextTimers(h.kv, 5);
    expect(lease).toMatchObject({ purpose: 'startToClose', instanceId: 'b0' });
  });

  it('reads definitions and their versions', async () => {
    const h = await populated();
    expect(await listDefinitions(h.kv)).toEqual([
      { name: 'alpha', latestVersion: 1 },
      { name: 'beta', latestVersion: 2 },
    ]);
    expect(await listDefinitions(h.kv, { afterName: 'alpha' })).toEqual([
      { name: 'beta', latestVersion: 2 },
    ]);
    expect(
      (await listDefinitionVersions(h.kv, 'beta', 10)).map((version) => version.version),
    ).toEqual([2, 1]);
    const latest = await getDefinition(h.kv, 'beta');
    expect(latest?.version).toBe(2);
    expect(JSON.parse(latest!.definition)).toMatchObject({
      name: 'beta',
      tasks: [{ ref: 'b', priority: 70 }],
    });
    expect(await getDefinition(h.kv, 'beta', 9)).toBeUndefined();
  });
});
