import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Rng } from '../../lib/index.ts';
import { HTTP_TASK_TYPE } from '../../engine/index.ts';
import type { JsonValue } from '../../engine/index.ts';

/** A definition the workload registers, and how it makes inputs and worker outputs for it. */
export interface SimDefinition {
  readonly name: string;
  readonly source: string;
  readonly format: 'json' | 'yaml';
  readonly taskTypes: readonly string[];
  input(rng: Rng, instanceId: string, nowMs: number): JsonValue;
}

const EXAMPLES_DIRECTORY = new URL('../../engine/definition/examples/', import.meta.url);

function example(file: string): string {
  return readFileSync(fileURLToPath(new URL(file, EXAMPLES_DIRECTORY)), 'utf8');
}

/** Generated definitions draw worker task types from this small pool, so queues are shared. */
const GENERATED_TASK_TYPES = ['gen.alpha', 'gen.beta', 'gen.gamma'] as const;

/** The three examples of src/engine/definition/examples, the child the approval one calls, and generated ones. */
export function simDefinitions(rng: Rng, generatedCount: number): SimDefinition[] {
  const definitions: SimDefinition[] = [
    {
      name: 'order-saga',
      source: example('order-saga.yaml'),
      format: 'yaml',
      taskTypes: [
        'inventory.reserve',
        'inventory.release',
        'payments.charge',
        'payments.refund',
        'shipping.ship',
      ],
      input: (r, id) => ({
        orderId: id,
        items: [{ sku: `sku-${r.int(1, 5)}`, quantity: r.int(1, 4) }],
        amount: r.int(1, 500),
        cardToken: 'tok-visa',
        address: 'Main St 1',
      }),
    },
    {
      name: 'fulfillment',
      source: example('fulfillment.yaml'),
      format: 'yaml',
      taskTypes: [
        HTTP_TASK_TYPE,
        'warehouse.pick',
        'shipping.express',
        'shipping.freight',
        'shipping.standard',
        'notify.email',
        'notify.sms',
        'notify.push',
      ],
      input: (r, id) => ({
        orderId: id,
        lines: Array.from({ length: r.int(1, 4) }, (_, k) => ({
          sku: `sku-${k}`,
          quantity: r.int(1, 3),
        })),
        express: r.next() < 0.4,
        address: 'Main St 1',
      }),
    },
    {
      name: 'expense-approval',
      source: example('approval.yaml'),
      format: 'yaml',
      taskTypes: ['reports.status'],
      input: (r, id, nowMs) => ({
        expenseId: id,
        amount: r.int(10, 3000),
        payDate: new Date(nowMs + r.int(1_000, 30_000)).toISOString(),
      }),
    },
    {
      name: 'payout',
      source: JSON.stringify({
        name: 'payout',
        tasks: [
          {
            ref: 'pay',
            type: 'worker',
            taskType: 'payments.payout',
            input: { amount: '=input.amount' },
            retry: { maxAttempts: 2 },
          },
        ],
        output: '{"paid": true}',
      }),
      format: 'json',
      taskTypes: ['payments.payout'],
      input: (r) => ({ amount: r.int(1, 100) }),
    },
  ];
  for (let k = 0; k < generatedCount; k++)
    definitions.push(generatedDefinition(rng, `gen-${k}`, 0));
  return definitions;
}

/** A small random definition; `variant` changes it a little, so registering it again makes a new version. */
export function generatedDefinition(rng: Rng, name: string, variant: number): SimDefinition {
  const tasks: JsonValue[] = [];
  const steps = rng.int(1, 5);
  for (let k = 0; k < steps; k++) tasks.push(generatedTask(rng, `s${k}`));
  const document = {
    name,
    description: `generated for the engine simulation, variant ${variant}`,
    defaults: {
      retry: {
        maxAttempts: rng.int(1, 4),
        backoff: 'exponential',
        initialIntervalMs: 200,
        maxIntervalMs: 2_000,
        jitter: 0.5,
      },
      timeouts: { startToCloseMs: rng.int(2, 20) * 1_000, heartbeatMs: rng.int(0, 2) * 5_000 },
    },
    tasks,
  };
  return {
    name,
    source: JSON.stringify(document),
    format: 'json',
    taskTypes: GENERATED_TASK_TYPES,
    input: (r) => ({ n: r.int(0, 100), items: Array.from({ length: r.int(0, 4) }, (_, i) => i) }),
  };
}

function generatedTask(rng: Rng, ref: string): JsonValue {
  const worker = (suffix: string): JsonValue => ({
    ref: `${ref}${suffix}`,
    type: 'worker',
    taskType: GENERATED_TASK_TYPES[rng.int(0, GENERATED_TASK_TYPES.length)]!,
    priority: rng.int(0, 101),
    input: { n: '=input.n' },
    ...(rng.next() < 0.3
      ? { compensation: { ref: `${ref}${suffix}_undo`, type: 'worker', taskType: 'gen.undo' } }
      : {}),
  });
  const roll = rng.next();
  if (roll < 0.45) return worker('');
  if (roll < 0.55) return { ref, type: 'wait', durationMs: rng.int(1, 10) * 500 };
  if (roll < 0.65) return { ref, type: 'signal', name: 'go', timeoutMs: rng.int(5, 30) * 1_000 };
  if (roll < 0.75) return { ref, type: 'set', variables: { seen: 'input.n + 1' } };
  if (roll < 0.88) {
    const join = rng.next() < 0.5 ? { join: { quorum: 1 } } : {};
    return { ref, type: 'parallel', ...join, branches: [[worker('a')], [worker('b')]] };
  }
  return {
    ref,
    type: 'foreach',
    items: 'input.items',
    concurrency: rng.int(1, 3),
    body: [worker('i')],
  };
}

/** Definitions that must be rejected: the engine answers DEFINITION_INVALID and writes nothing. */
export const INVALID_DEFINITIONS: ReadonlyArray<{ source: string; format: 'json' | 'yaml' }> = [
  { source: '{"name": "bad", "tasks": []}', format: 'json' },
  { source: '{"name": "bad", "tasks": [{"ref": "a", "type": "worker"}]}', format: 'json' },
  {
    source:
      'name: bad\ntasks:\n  - ref: a\n    type: worker\n    taskType: x\n    retry: { maxAttempts: 1000 }\n',
    format: 'yaml',
  },
  { source: 'not json at all {', format: 'json' },
];

/** Generated definitions' task types, plus the compensation queue. */
export const GENERATED_QUEUES: readonly string[] = [...GENERATED_TASK_TYPES, 'gen.undo'];
