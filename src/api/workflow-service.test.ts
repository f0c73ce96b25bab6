/**
 * The Workflow service over real gRPC on three real nodes (LevelDB in temp directories, the gRPC
 * peer transport), built by the composition root: follower forwarding, worker long-polls woken by
 * apply effects, timers fired by the leader's dispatcher, and errors mapped to gRPC codes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from '../lib/testing/ports.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/index.ts';
import type { WorkflowClient } from '../gen/baton/v1/Workflow.ts';
import { startNode } from '../main.ts';
import type { RunningNode } from '../main.ts';
import { workflowProto } from './workflow-proto.ts';

const WAIT_CEILING_MS = 30_000;

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;

/** Calls a unary method by name; resolves with the response or rejects with the ServiceError. */
function call<T>(
  client: WorkflowClient,
  method: string,
  request: object,
  timeoutMs = 10_000,
): Promise<T> {
  const start = (
    client as unknown as Record<
      string,
      (r: object, m: grpc.Metadata, o: grpc.CallOptions, cb: Callback<T>) => void
    >
  )[method]!;
  return new Promise<T>((resolve, reject) => {
    start.call(
      client,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        if (error !== null) reject(error);
        else resolve(response as T);
      },
    );
  });
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const SIMPLE = `
name: simple
tasks:
  - { ref: work, type: worker, taskType: simple.work }
  - { ref: nap, type: wait, durationMs: 300 }
  - { ref: done, type: transform, expression: '"rested " & tasks.work.output.n' }
output: tasks.done.output
`;

interface Task {
  taskId: string;
  attempt: number;
  workflowId: string;
  inputJson: string;
}

describe('Workflow over gRPC on a 3-node cluster', () => {
  let root: string;
  let nodes: RunningNode[];
  let follower: WorkflowClient;
  let leaderClient: WorkflowClient;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'baton-workflow-api-'));
    const ids = ['n1', 'n2', 'n3'];
    const ports = new Map<string, number>();
    for (const id of ids) ports.set(id, await freePort());
    nodes = [];
    for (const id of ids) {
      const peers = Object.fromEntries(
        ids.filter((p) => p !== id).map((p) => [p, `127.0.0.1:${ports.get(p)!}`]),
      );
      const config = validateConfig({
        nodeId: id,
        clusterId: 'workflow-api-test',
        listen: `127.0.0.1:${ports.get(id)!}`,
        peers,
        dataDir: join(root, id),
        logLevel: 'silent',
      });
      nodes.push(await startNode(config));
    }
    let leader: RunningNode | undefined;
    await waitFor(() => {
      leader = nodes.find((n) => n.replica.isLeader() && n.dispatcher.isActive());
      return (
        leader !== undefined && nodes.every((n) => n.replica.leaderHint() === leader!.replica.id)
      );
    }, 'a leader with dispatch');
    const other = nodes.find((n) => n !== leader)!;
    const Workflow = workflowProto().Workflow;
    follower = new Workflow(other.address, grpc.credentials.createInsecure());
    leaderClient = new Workflow(leader!.address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    follower.close();
    leaderClient.close();
    for (const node of nodes) await node.shutdown();
    await rm(root, { recursive: true, force: true });
  });

  it('registers, starts, long-polls, completes and fires a timer, all through a follower', async () => {
    const registered = await call<{ name: string; version: number; created: boolean }>(
      follower,
      'RegisterDefinition',
      { source: SIMPLE, format: 'yaml' },
    );
    expect(registered).toMatchObject({ name: 'simple', version: 1, created: true });
    const again = await call<{ version: number; created: boolean }>(
      follower,
      'RegisterDefinition',
      { source: SIMPLE },
    );
    expect(again).toMatchObject({ version: 1, created: false });

    // The poll starts before the task exists: it is woken by the start's apply effects.
    const polled = call<{ tasks: Task[] }>(
      follower,
      'ActivateTasks',
      { taskType: 'simple.work', workerId: 'w1', maxTasks: 5, timeoutMs: 20_000 },
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = await call<{ workflowId: string; status: string }>(follower, 'StartWorkflow', {
      definitionName: 'simple',
      inputJson: '{"x":1}',
      workflowId: 'wf-1',
    });
    expect(started).toMatchObject({ workflowId: 'wf-1', status: 'RUNNING' });
    const { tasks } = await polled;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.workflowId).toBe('wf-1');

    const ack = await call<{ duplicate: boolean }>(follower, 'CompleteTask', {
      taskId: tasks[0]!.taskId,
      attempt: tasks[0]!.attempt,
      outputJson: '{"n":7}',
    });
    expect(ack.duplicate).toBe(false);
    const repeat = await call<{ duplicate: boolean }>(follower, 'CompleteTask', {
      taskId: tasks[0]!.taskId,
      attempt: tasks[0]!.attempt,
      outputJson: '{"n":7}',
    });
    expect(repeat.duplicate).toBe(true);

    // The wait task's timer is fired by the leader's dispatcher.
    await waitFor(async () => {
      const view = await call<{ status: string }>(follower, 'GetWorkflow', { workflowId: 'wf-1' });
      return view.status === 'COMPLETED';
    }, 'the workflow to complete after its wait');
    const view = await call<{ outputJson: string; history: Array<{ summary: string }> }>(
      follower,
      'GetWorkflow',
      { workflowId: 'wf-1', includeHistory: true },
    );
    expect(JSON.parse(view.outputJson)).toBe('rested 7');
    expect(view.history.some((e) => e.summary.includes('TimerFired wait'))).toBe(true);

    const stale = await call<{ status: string }>(follower, 'GetWorkflow', {
      workflowId: 'wf-1',
      stale: true,
    });
    expect(['RUNNING', 'COMPLETED']).toContain(stale.status);
    const list = await call<{ workflows: Array<{ workflowId: string }> }>(
      follower,
      'ListWorkflows',
      { definitionName: 'simple' },
    );
    expect(list.workflows.map((w) => w.workflowId)).toEqual(['wf-1']);
    const definitions = await call<{ definitions: Array<{ name: string; latestVersion: number }> }>(
      follower,
      'ListDefinitions',
      {},
    );
    expect(definitions.definitions).toContainEqual({ name: 'simple', latestVersion: 1 });
  });

  it('answers an empty long-poll when nothing becomes ready', async () => {
    const { tasks } = await call<{ tasks: Task[] }>(leaderClient, 'ActivateTasks', {
      taskType: 'nobody.home',
      workerId: 'w',
      maxTasks: 1,
      timeoutMs: 200,
    });
    expect(tasks).toEqual([]);
  });

  it('maps bad requests and engine rejections to gRPC codes', async () => {
    const code = async (method: string, request: object): Promise<number | undefined> =>
      call(follower, method, request).then(
        () => undefined,
        (error: unknown) => (error as grpc.ServiceError).code,
      );
    expect(await code('StartWorkflow', { definitionName: 'simple', inputJson: '{oops' })).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect(await code('StartWorkflow', { definitionName: 'missing' })).toBe(grpc.status.NOT_FOUND);
    expect(await code('StartWorkflow', { definitionName: 'simple', workflowId: 'wf-1' })).toBe(
      grpc.status.ALREADY_EXISTS,
    );
    expect(await code('GetWorkflow', { workflowId: 'nope' })).toBe(grpc.status.NOT_FOUND);
    expect(await code('RegisterDefinition', { source: 'name: bad\ntasks: []' })).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect(await code('CompleteTask', { taskId: 'no-such-task', attempt: 1 })).toBe(
      grpc.status.NOT_FOUND,
    );
    expect(await code('ActivateTasks', { taskType: 't', workerId: 'w', timeoutMs: 60_000 })).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect(await code('Pause', { workflowId: 'wf-1' })).toBe(grpc.status.FAILED_PRECONDITION);
  });

  // Runs last: it stops the leader.
  it('fires a timer armed under the old leader from the new leader, rebuilt from state', async () => {
    await call(follower, 'RegisterDefinition', {
      source: 'name: nap\ntasks:\n  - { ref: nap, type: wait, durationMs: 4000 }\n',
    });
    await call(follower, 'StartWorkflow', { definitionName: 'nap', workflowId: 'nap-1' });
    const leader = nodes.find((n) => n.replica.isLeader())!;
    await leader.shutdown();
    const survivors = nodes.filter((n) => n !== leader);
    await waitFor(
      () => survivors.some((n) => n.dispatcher.isActive()),
      'a new leader with dispatch',
    );
    const next = survivors.find((n) => n.dispatcher.isActive())!;
    const client = new (workflowProto().Workflow)(next.address, grpc.credentials.createInsecure());
    try {
      await waitFor(async () => {
        const view = await call<{ status: string }>(client, 'GetWorkflow', { workflowId: 'nap-1' });
        return view.status === 'COMPLETED';
      }, 'the wait to end under the new leader');
      expect(next.dispatcher.timersFired()).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
