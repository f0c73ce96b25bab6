import { describe, expect, it } from 'vitest';
import { utf8 } from './codec.ts';
import { encodeCommand } from './commands.ts';
import type { EngineResult } from './engine.ts';
import { EngineHarness } from './testing/harness.ts';

/** Bad input of every kind is rejected with a clear error and leaves the whole key space as it was. */

const definition = `
name: shop
tasks:
  - { ref: a, type: worker, taskType: a }
  - { ref: wait_ok, type: signal, name: ok }
`;

async function prepared(limits = {}): Promise<EngineHarness> {
  const h = new EngineHarness({ limits });
  await h.register(definition);
  await h.start('i1', 'shop');
  return h;
}

async function expectUnchanged(
  h: EngineHarness,
  act: () => Promise<EngineResult>,
): Promise<EngineResult & { ok: false }> {
  const before = h.kv.dump();
  const result = await act();
  expect(h.kv.dump()).toEqual(before);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.response)}`);
  return result;
}

describe('bad command bytes', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x00]), 'not valid UTF-8'],
    ['not JSON', utf8('{"v":1,'), 'not valid JSON'],
    ['not an object', utf8('[1,2]'), 'not a JSON object'],
    [
      'an unknown version',
      utf8('{"v":99,"type":"PauseWorkflow","instanceId":"i1","nowMs":1}'),
      'version 99',
    ],
    ['an unknown type', utf8('{"v":1,"type":"Explode","nowMs":1}'), 'type'],
    ['a missing field', utf8('{"v":1,"type":"PauseWorkflow","nowMs":1}'), 'instanceId'],
    [
      'an extra field',
      utf8('{"v":1,"type":"PauseWorkflow","instanceId":"i1","nowMs":1,"x":1}'),
      'x',
    ],
    [
      'a bad instance id',
      utf8('{"v":1,"type":"PauseWorkflow","instanceId":"a/b","nowMs":1}'),
      'instanceId',
    ],
    [
      'a negative time',
      utf8('{"v":1,"type":"PauseWorkflow","instanceId":"i1","nowMs":-5}'),
      'nowMs',
    ],
  ];
  for (const [what, bytes, mentions] of cases) {
    it(`rejects ${what}`, async () => {
      const h = await prepared();
      const result = await expectUnchanged(h, () => h.applyBytes(bytes));
      expect(result.code).toBe('BAD_COMMAND');
      expect(result.grpcCode).toBe('INVALID_ARGUMENT');
      expect(result.message).toContain(mentions);
    });
  }

  it('rejects a command larger than the limit', async () => {
    const h = await prepared({ maxCommandBytes: 200 });
    const bytes = encodeCommand({
      type: 'Signal',
      instanceId: 'i1',
      name: 'ok',
      payload: 'x'.repeat(300),
      nowMs: 1,
      seed: 1,
    });
    const result = await expectUnchanged(h, () => h.applyBytes(bytes));
    expect(result.message).toContain('more than the limit of 200');
  });
});

describe('bad definitions', () => {
  it('names the path of every problem', async () => {
    const h = await prepared();
    const result = await expectUnchanged(h, () =>
      h.run({
        type: 'RegisterDefinition',
        format: 'yaml',
        source:
          'name: broken\ntasks:\n  - { ref: a, type: worker, taskType: a, retry: { maxAttempts: 1000 } }\n',
      }),
    );
    expect(result.code).toBe('DEFINITION_INVALID');
    expect(result.message).toContain('tasks[0].retry.maxAttempts');
  });

  it('rejects text that is not YAML', async () => {
    const h = await prepared();
    const result = await expectUnchanged(h, () =>
      h.run({ type: 'RegisterDefinition', format: 'yaml', source: 'name: [unclosed' }),
    );
    expect(result.code).toBe('DEFINITION_INVALID');
  });
});

describe('commands that state rejects', () => {
  it('rejects starting an unknown definition or version', async () => {
    const h = await prepared();
    expect(
      (
        await expectUnchanged(h, () =>
          h.run({ type: 'StartWorkflow', instanceId: 'x', definitionName: 'nope' }),
        )
      ).code,
    ).toBe('DEFINITION_NOT_FOUND');
    expect(
      (
        await expectUnchanged(h, () =>
          h.run({ type: 'StartWorkflow', instanceId: 'x', definitionName: 'shop', version: 7 }),
        )
      ).code,
    ).toBe('DEFINITION_NOT_FOUND');
  });

  it('rejects input that does not match the input schema', async () => {
    const h = new EngineHarness();
    await h.register(
      'name: typed\ninputSchema: { type: object, required: [n], properties: { n: { type: integer } } }\ntasks: [{ ref: a, type: worker, taskType: a }]\n',
    );
    const result = await expectUnchanged(h, () =>
      h.run({
        type: 'StartWorkflow',
        instanceId: 'x',
        definitionName: 'typed',
        input: { n: 'two' },
      }),
    );
    expect(result.message).toContain('input.n');
  });

  it('rejects completing an unknown task, a stale attempt, or a task not started', async () => {
    const h = await prepared();
    expect(
      (
        await expectUnchanged(h, () =>
          h.run({ type: 'CompleteTask', taskId: 'i1/0000009999', attempt: 1 }),
        )
      ).code,
    ).toBe('TASK_NOT_FOUND');
    const taskId = (await h.instance('i1')).currentTasks[0]!.taskId!;
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'CompleteTask', taskId, attempt: 1 }))).code,
    ).toBe('TASK_NOT_RUNNING');
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'CompleteTask', taskId, attempt: 2 }))).code,
    ).toBe('STALE_ATTEMPT');
  });

  it('rejects operations that do not fit the status', async () => {
    const h = await prepared();
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'ResumeWorkflow', instanceId: 'i1' }))).code,
    ).toBe('INSTANCE_NOT_PAUSED');
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'RetryWorkflow', instanceId: 'i1' }))).code,
    ).toBe('INSTANCE_NOT_FAILED');
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'RestartWorkflow', instanceId: 'i1' }))).code,
    ).toBe('INSTANCE_NOT_CLOSED');
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'PauseWorkflow', instanceId: 'ghost' }))).code,
    ).toBe('INSTANCE_NOT_FOUND');
    await h.ok({ type: 'TerminateWorkflow', instanceId: 'i1' });
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'Signal', instanceId: 'i1', name: 'ok' })))
        .code,
    ).toBe('INSTANCE_CLOSED');
    expect(
      (await expectUnchanged(h, () => h.run({ type: 'CancelWorkflow', instanceId: 'i1' }))).code,
    ).toBe('INSTANCE_CLOSED');
  });

  it('rejects payloads over the limit and a full signal buffer', async () => {
    const h = await prepared({ maxPayloadBytes: 100, maxBufferedSignals: 2 });
    const [task] = await h.activate('a');
    const big = { blob: 'x'.repeat(200) };
    expect(
      (
        await expectUnchanged(h, () =>
          h.run({ type: 'CompleteTask', taskId: task!.taskId, attempt: 1, output: big }),
        )
      ).code,
    ).toBe('LIMIT_EXCEEDED');
    await h.ok({ type: 'Signal', instanceId: 'i1', name: 'other', payload: 1 });
    await h.ok({ type: 'Signal', instanceId: 'i1', name: 'other', payload: 2 });
    const full = await expectUnchanged(h, () =>
      h.run({ type: 'Signal', instanceId: 'i1', name: 'other', payload: 3 }),
    );
    expect(full.code).toBe('LIMIT_EXCEEDED');
  });

  it('drops every write of a command that fails its last check (instance state too large)', async () => {
    const h = await prepared({ maxInstanceStateBytes: 3000 });
    const result = await expectUnchanged(h, () =>
      h.run({
        type: 'Signal',
        instanceId: 'i1',
        name: 'later',
        payload: { blob: 'y'.repeat(2500) },
      }),
    );
    expect(result.code).toBe('LIMIT_EXCEEDED');
    expect(result.message).toContain('keep variables and task outputs smaller');
    await h.ok({ type: 'Signal', instanceId: 'i1', name: 'later', payload: 'small' });
  });

  it('fails a task whose output would overflow the state instead of rejecting every later command', async () => {
    const h = await prepared({ maxInstanceStateBytes: 3000 });
    const [task] = await h.activate('a');
    expect(
      await h.ok({
        type: 'CompleteTask',
        taskId: task!.taskId,
        attempt: 1,
        output: { blob: 'y'.repeat(2500) },
      }),
    ).toMatchObject({ duplicate: false });
    const view = await h.instance('i1');
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('OUTPUT_TOO_LARGE');
  });
});
