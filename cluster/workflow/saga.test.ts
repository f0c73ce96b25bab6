/**
 * The order saga on three real `baton server` processes, through the gRPC Workflow API only:
 * register the definition, start an order, a worker loop completes reserve and charge, the
 * leader is killed with SIGKILL, the worker carries on against the new leader and fails ship
 * non-retryably; the compensations (refund, release) run and the workflow ends COMPENSATED with
 * every task completed exactly once in its history. No timing is asserted: every wait polls a
 * condition under a generous ceiling.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliClient } from '../../src/cli/client.ts';
import type { ActivateTasksResponse__Output } from '../../src/gen/baton/v1/ActivateTasksResponse.ts';
import type { ActivatedTask__Output } from '../../src/gen/baton/v1/ActivatedTask.ts';
import type { GetWorkflowResponse__Output } from '../../src/gen/baton/v1/GetWorkflowResponse.ts';
import type { StatusResponse__Output } from '../../src/gen/baton/v1/StatusResponse.ts';
import type { TaskAck__Output } from '../../src/gen/baton/v1/TaskAck.ts';
import { ProcessCluster } from '../lib/cluster.ts';

const WAIT_CEILING_MS = 45_000;
const SAGA = readFileSync(
  new URL('../../src/engine/definition/examples/order-saga.yaml', import.meta.url),
  'utf8',
);
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

/** Retries `attempt` while the cluster is failing over (UNAVAILABLE, DEADLINE_EXCEEDED). */
async function retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const code = (error as Partial<grpc.ServiceError>).code;
      if (code === undefined || !RETRYABLE.has(code) || Date.now() > deadline) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function leaderId(cluster: ProcessCluster): Promise<string> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  for (;;) {
    const statuses = await Promise.all(
      cluster.endpoints().map(async (address) => {
        const client = new CliClient([address], 2_000);
        try {
          return await client.admin<StatusResponse__Output>(
            (c, m, o, cb) => c.Status({}, m, o, cb),
            false,
          );
        } catch {
          return null;
        } finally {
          client.close();
        }
      }),
    );
    const leaders = statuses.filter(
      (s) => s !== null && s.role === 'leader' && s.commitIndex === s.appliedIndex,
    );
    if (leaders.length === 1) return leaders[0]!.nodeId;
    if (Date.now() > deadline) throw new Error('no single leader');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the order saga on three baton processes with a leader crash', () => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await ProcessCluster.start({ size: 3, clusterId: 'saga' });
    await leaderId(cluster);
  });

  afterAll(async () => {
    await cluster.shutdown();
  });

  it('compensates after shipping fails, across a kill -9 of the leader', async () => {
    const client = (): CliClient => new CliClient(cluster.endpoints(), 5_000);
    const api = client();
    try {
      const registered = await retrying('register', () =>
        api.workflow<{ name: string; version: number }>((c, m, o, cb) =>
          c.RegisterDefinition({ source: SAGA, format: 'yaml' }, m, o, cb),
        ),
      );
      expect(registered.name).toBe('order-saga');
      // A caller-chosen id makes the start idempotent: a retried start returns the same run.
      await retrying('start', () =>
        api.workflow((c, m, o, cb) =>
          c.StartWorkflow(
            {
              definitionName: 'order-saga',
              workflowId: 'order-42',
              reusePolicy: 'RETURN_EXISTING',
              inputJson: JSON.stringify({
                orderId: '42',
                items: [{ sku: 'BOOK', quantity: 1 }],
                amount: 19.9,
                cardToken: 'tok',
                address: 'nowhere',
              }),
            },
            m,
            o,
            cb,
          ),
        ),
      );
    } finally {
      api.close();
    }

    /** One worker step: lease a task of the type (long-poll), then report it. */
    const work = async (
      taskType: string,
      report: (task: ActivatedTask__Output, worker: CliClient) => Promise<TaskAck__Output>,
    ): Promise<void> => {
      const worker = client();
      try {
        let task: ActivatedTask__Output | undefined;
        const deadline = Date.now() + WAIT_CEILING_MS;
        while (task === undefined) {
          if (Date.now() > deadline) throw new Error(`no ${taskType} task became ready`);
          const response = await retrying(`activate ${taskType}`, () =>
            worker.workflow<ActivateTasksResponse__Output>(
              (c, m, o, cb) =>
                c.ActivateTasks(
                  { taskType, workerId: 'saga-worker', maxTasks: 1, timeoutMs: 2_000 },
                  m,
                  o,
                  cb,
                ),
              10_000,
            ),
          );
          task = response.tasks[0];
        }
        const leased = task;
        // A report retried after a failover is acknowledged as a duplicate, applied once.
        await retrying(`report ${taskType}`, () => report(leased, worker));
      } finally {
        worker.close();
      }
    };
    const complete = (output: object) => (task: ActivatedTask__Output, worker: CliClient) =>
      worker.workflow<TaskAck__Output>((c, m, o, cb) =>
        c.CompleteTask(
          { taskId: task.taskId, attempt: task.attempt, outputJson: JSON.stringify(output) },
          m,
          o,
          cb,
        ),
      );

    await work('inventory.reserve', complete({ reservationId: 'res-42' }));
    await work('payments.charge', complete({ chargeId: 'ch-42' }));

    const leader = await leaderId(cluster);
    await cluster.kill(leader);
    const newLeader = await leaderId(cluster);
    expect(newLeader).not.toBe(leader);

    await work('shipping.ship', (task, worker) =>
      worker.workflow<TaskAck__Output>((c, m, o, cb) =>
        c.FailTask(
          {
            taskId: task.taskId,
            attempt: task.attempt,
            errorCode: 'ADDRESS_INVALID',
            errorMessage: 'no such address',
            nonRetryable: true,
          },
          m,
          o,
          cb,
        ),
      ),
    );
    await work('payments.refund', complete({ refunded: true }));
    await work('inventory.release', complete({ released: true }));

    const reader = client();
    try {
      let view: GetWorkflowResponse__Output | undefined;
      const deadline = Date.now() + WAIT_CEILING_MS;
      for (;;) {
        view = await retrying('get', () =>
          reader.workflow<GetWorkflowResponse__Output>((c, m, o, cb) =>
            c.GetWorkflow(
              { workflowId: 'order-42', includeHistory: true, historyPageSize: 1000 },
              m,
              o,
              cb,
            ),
          ),
        );
        if (view.status === 'COMPENSATED' || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(view.status).toBe('COMPENSATED');
      expect(view.error?.code).toBe('ADDRESS_INVALID');
      // Each task completed exactly once, the compensations in reverse order (refund, release).
      const order = view.history
        .filter((e) => e.type === 'TaskCompleted')
        .map((e) => (JSON.parse(e.eventJson) as { ref: string }).ref);
      const failed = view.history.filter((e) => e.type === 'TaskFailed');
      expect(failed).toHaveLength(1);
      expect(order).toEqual(['reserve', 'charge', 'refund', 'release']);
    } finally {
      reader.close();
    }
  });
});
