/**
 * The workflow engine as the replicas' state machine (family 0x02): the order saga proposed
 * through the leader's replica on three in-process replicas (real LevelDB), every replica's engine
 * state read back from its own LevelDB state store.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHistory, getHistory, getInstance } from '../engine/index.ts';
import type { Command, EngineResult } from '../engine/index.ts';
import { engineProposal } from './router.ts';
import { TestCluster, waitFor } from './testing/cluster.ts';

const SAGA = readFileSync(
  new URL('../engine/definition/examples/order-saga.yaml', import.meta.url),
  'utf8',
);

type Unstamped = Command extends infer C
  ? C extends unknown
    ? Omit<C, 'nowMs' | 'seed'>
    : never
  : never;

describe('the engine inside the replica', () => {
  let cluster: TestCluster | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });

  it('runs the order saga to COMPENSATED identically on every replica', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    const running = cluster;
    let seed = 7;
    let nowMs = 1_700_000_000_000;
    // What the API layer does on the leader: stamp time and seed, then propose.
    const run = async (command: Unstamped): Promise<EngineResult> => {
      const leader = await running.leader();
      nowMs += 1000;
      const stamped = { ...command, nowMs, seed: seed++ } as Record<string, unknown>;
      if (
        [
          'RegisterDefinition',
          'ActivateTasks',
          'HeartbeatTask',
          'TerminateWorkflow',
          'PauseWorkflow',
          'PruneClosed',
        ].includes(command.type)
      )
        delete stamped['seed'];
      const { result } = await leader.replica.propose(engineProposal(stamped as Command));
      return result as EngineResult;
    };
    const ok = async (command: Unstamped): Promise<EngineResult & { ok: true }> => {
      const result = await run(command);
      if (!result.ok) throw new Error(`${command.type} rejected: ${result.message}`);
      return result;
    };
    const work = async (taskType: string, output: unknown, fail?: string): Promise<void> => {
      const activated = await ok({ type: 'ActivateTasks', taskType, workerId: 'w1', maxTasks: 1 });
      if (activated.response.type !== 'ActivateTasks') throw new Error('unexpected response');
      const [task] = activated.response.tasks;
      if (task === undefined) throw new Error(`no ready ${taskType} task`);
      if (fail === undefined) {
        await ok({
          type: 'CompleteTask',
          taskId: task.taskId,
          attempt: task.attempt,
          output: output as null,
        });
      } else {
        await ok({
          type: 'FailTask',
          taskId: task.taskId,
          attempt: task.attempt,
          error: { code: fail, message: 'no such address', retryable: false },
        });
      }
    };

    const registered = await ok({ type: 'RegisterDefinition', source: SAGA, format: 'yaml' });
    expect(registered.response).toMatchObject({ name: 'order-saga', version: 1, created: true });
    await ok({
      type: 'StartWorkflow',
      instanceId: 'order-1',
      definitionName: 'order-saga',
      input: {
        orderId: '1',
        items: [{ sku: 'A', quantity: 1 }],
        amount: 5,
        cardToken: 't',
        address: 'x',
      },
    });
    const rejected = await run({
      type: 'StartWorkflow',
      instanceId: 'order-1',
      definitionName: 'order-saga',
      input: {},
    });
    expect(rejected).toMatchObject({ ok: false, grpcCode: 'ALREADY_EXISTS' });
    await work('inventory.reserve', { reservationId: 'r1' });
    await work('payments.charge', { chargeId: 'c1' });
    await work('shipping.ship', null, 'ADDRESS_INVALID');
    await work('payments.refund', { refunded: true });
    await work('inventory.release', { released: true });

    const leader = await running.leader();
    const target = leader.replica.appliedIndex();
    const nodes = [...running.nodes.values()];
    await waitFor(
      () => nodes.every((n) => n.replica.appliedIndex() >= target),
      'all replicas applied',
    );
    const views = await Promise.all(
      nodes.map(async (n) => ({
        view: await getInstance(n.replica.reader(), 'order-1'),
        history: formatHistory(
          (await getHistory(n.replica.reader(), 'order-1', { pageSize: 1000 })).events,
        ),
      })),
    );
    for (const { view, history } of views) {
      expect(view?.status).toBe('COMPENSATED');
      expect(view).toEqual(views[0]!.view);
      expect(history).toEqual(views[0]!.history);
    }
    expect(views[0]!.history.filter((line) => line.includes('TaskCompleted'))).toHaveLength(4);
  });
});
