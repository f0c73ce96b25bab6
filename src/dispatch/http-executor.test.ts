/**
 * The leader's HTTP-task executor on a real single-node cluster (LevelDB, gRPC port) against a
 * real HTTP server on loopback: the response becomes the task's output; an unexpected status
 * fails the task through the engine's expectedStatus check.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricFromExposition } from '../../cluster/lib/metrics.ts';
import { validateConfig } from '../config/index.ts';
import { getInstance } from '../engine/index.ts';
import type { EngineResult } from '../engine/index.ts';
import { startNode } from '../main.ts';
import type { RunningNode } from '../main.ts';
import { engineProposal } from '../replica/index.ts';
import { silentLogger } from '../observability/index.ts';
import type { DispatchMetrics } from './metrics.ts';
import { NO_DISPATCH_METRICS } from './metrics.ts';
import { ClosedPruner } from './pruner.ts';
import { newSeed, stampNowMs } from './stamp.ts';

const WAIT_CEILING_MS = 30_000;

async function waitFor(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A metric as an operator scraping this node sees it (0 when absent). */
async function metricValue(
  node: RunningNode,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return metricFromExposition(await node.metrics.registry.metrics(), name, labels) ?? 0;
}

describe('HttpExecutor', () => {
  let root: string;
  let node: RunningNode;
  let server: Server;
  let port = 0;
  const received: Array<{ method: string; url: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ method: request.method ?? '', url: request.url ?? '', body });
        if (request.url?.startsWith('/missing') === true) {
          response.writeHead(404).end('no');
          return;
        }
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ accepted: true, echo: JSON.parse(body) as unknown }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
    root = await mkdtemp(join(tmpdir(), 'baton-http-'));
    node = await startNode(
      validateConfig({
        nodeId: 'n1',
        listen: '127.0.0.1:0',
        dataDir: join(root, 'n1'),
        logLevel: 'silent',
      }),
    );
    await waitFor(() => node.dispatcher.isActive(), 'the node to lead');
  });

  afterAll(async () => {
    await node.shutdown();
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  const propose = async (command: object): Promise<EngineResult> => {
    const { result } = await node.replica.propose(engineProposal(command as never));
    return result as EngineResult;
  };
  const register = (source: string): Promise<EngineResult> =>
    propose({ type: 'RegisterDefinition', source, format: 'yaml', nowMs: stampNowMs() });

  it('calls the service and completes the task with its response', async () => {
    const definition = `
name: call-service
tasks:
  - ref: call
    type: http
    method: POST
    url: ="http://127.0.0.1:${port}/orders/" & input.id
    body: { n: =input.n }
    expectedStatus: [201]
    timeoutMs: 5000
  - ref: missing
    type: http
    method: GET
    url: "http://127.0.0.1:${port}/missing"
    expectedStatus: [200]
    timeoutMs: 5000
    retry: { maxAttempts: 1 }
`;
    expect((await register(definition)).ok).toBe(true);
    const started = await propose({
      type: 'StartWorkflow',
      instanceId: 'h1',
      definitionName: 'call-service',
      input: { id: '7', n: 3 },
      nowMs: stampNowMs(),
      seed: newSeed(),
    });
    expect(started.ok).toBe(true);
    await waitFor(async () => {
      const view = await getInstance(node.replica.reader(), 'h1');
      return view?.status === 'FAILED';
    }, 'the workflow to fail at the missing endpoint');
    const view = await getInstance(node.replica.reader(), 'h1', { includeHistory: true });
    expect(received[0]).toEqual({ method: 'POST', url: '/orders/7', body: '{"n":3}' });
    expect(view?.error?.code).toBe('HTTP_404');
    const completed = view?.history?.events.find((e) => e.type === 'TaskCompleted');
    expect(completed).toMatchObject({
      ref: 'call',
      output: { status: 201, body: { accepted: true, echo: { n: 3 } } },
    });
    expect(node.dispatcher.httpTasksReported()).toBe(2);
    // The same, as an operator scraping this node sees it.
    expect(await metricValue(node, 'baton_dispatch_active')).toBe(1);
    expect(await metricValue(node, 'baton_dispatch_http_calls_total', { outcome: '2xx' })).toBe(1);
    expect(await metricValue(node, 'baton_dispatch_http_calls_total', { outcome: '4xx' })).toBe(1);
    expect(await metricValue(node, 'baton_dispatch_http_call_seconds_count')).toBe(2);
    expect(await metricValue(node, 'baton_dispatch_tasks_activated_total')).toBe(2);
    expect(await metricValue(node, 'baton_dispatch_http_calls_in_flight')).toBe(0);
    expect(await metricValue(node, 'baton_engine_tasks_ready_total')).toBe(2);
    expect(await metricValue(node, 'baton_engine_tasks_leased_total')).toBe(2);
    expect(await metricValue(node, 'baton_engine_tasks_closed_total')).toBe(2);
    expect(
      await metricValue(node, 'baton_engine_workflows_closed_total', { status: 'FAILED' }),
    ).toBe(1);
  });

  it('fires timers, and reports them and an unreachable service in its metrics', async () => {
    const definition = `
name: nap-then-call
tasks:
  - { ref: nap, type: wait, durationMs: 30 }
  - ref: nowhere
    type: http
    method: GET
    url: "http://127.0.0.1:1/closed-port"
    expectedStatus: [200]
    timeoutMs: 2000
    retry: { maxAttempts: 1 }
`;
    expect((await register(definition)).ok).toBe(true);
    const unreachableBefore = await metricValue(node, 'baton_dispatch_http_calls_total', {
      outcome: 'unreachable',
    });
    await propose({
      type: 'StartWorkflow',
      instanceId: 'n1',
      definitionName: 'nap-then-call',
      nowMs: stampNowMs(),
      seed: newSeed(),
    });
    await waitFor(
      async () => (await getInstance(node.replica.reader(), 'n1'))?.status === 'FAILED',
      'the workflow to fail at the closed port after its nap',
    );
    expect(await metricValue(node, 'baton_dispatch_timers_fired_total')).toBe(1);
    expect(await metricValue(node, 'baton_dispatch_timers_in_flight')).toBe(0);
    expect(
      await metricValue(node, 'baton_dispatch_http_calls_total', { outcome: 'unreachable' }),
    ).toBe(unreachableBefore + 1);
    expect(
      await metricValue(node, 'baton_engine_workflows_closed_total', { status: 'FAILED' }),
    ).toBe(2);
  });

  it('prunes closed workflows past their retention, and only those', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const keepAll = new ClosedPruner(node.replica, 60 * 60 * 1000, silentLogger());
    expect(await keepAll.round()).toBe(0);
    expect(await getInstance(node.replica.reader(), 'h1')).toBeDefined();
    let pruned = 0;
    const counting: DispatchMetrics = {
      ...NO_DISPATCH_METRICS,
      workflowsPruned: (count) => (pruned += count),
    };
    const pruner = new ClosedPruner(node.replica, 0, silentLogger(), counting);
    expect(await pruner.round()).toBe(2);
    expect(pruned).toBe(2);
    expect(await getInstance(node.replica.reader(), 'h1')).toBeUndefined();
  });

  it('holds activations of a rate-limited task type to its rate', async () => {
    const definition = `
name: slow
tasks:
  - { ref: s, type: worker, taskType: slow.work, rateLimitPerSecond: 0.001 }
`;
    expect((await register(definition)).ok).toBe(true);
    for (const id of ['s1', 's2']) {
      await propose({
        type: 'StartWorkflow',
        instanceId: id,
        definitionName: 'slow',
        nowMs: stampNowMs(),
        seed: newSeed(),
      });
    }
    const activate = () =>
      node.dispatcher.activate({
        taskType: 'slow.work',
        workerId: 'w',
        maxTasks: 10,
        timeoutMs: 0,
      });
    expect(await activate()).toHaveLength(1);
    expect(await activate()).toHaveLength(0);
  });
});
