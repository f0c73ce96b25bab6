import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import {
  canonicalDefinitionJson,
  DEFAULT_DEFINITION_LIMITS,
  DEFAULT_RETRY,
  DefinitionInvalidError,
  formatIssue,
  indexTasks,
  listTasks,
  parseDefinition,
  TASK_TYPES,
  validateDefinition,
  type Definition,
  type DefinitionLimits,
  type TaskType,
} from './index.ts';

const examplesDir = fileURLToPath(new URL('./examples/', import.meta.url));

function example(name: string): string {
  return readFileSync(`${examplesDir}${name}`, 'utf8');
}

/** The issues of an invalid document, as `path: message` lines. */
function problems(
  document: unknown,
  limits: DefinitionLimits = DEFAULT_DEFINITION_LIMITS,
): string[] {
  try {
    validateDefinition(document, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionInvalidError);
    return (error as DefinitionInvalidError).issues.map(formatIssue);
  }
  throw new Error('expected the document to be invalid');
}

function worker(ref: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ref, type: 'worker', taskType: `do.${ref}`, ...extra };
}

function doc(tasks: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'test-flow', tasks, ...extra };
}

describe('examples', () => {
  const files = readdirSync(examplesDir).filter((file) => file.endsWith('.yaml'));

  it.each(files)('%s validates', (file) => {
    const definition = parseDefinition(example(file), 'yaml');
    expect(definition.tasks.length).toBeGreaterThan(0);
  });

  it('cover every task type', () => {
    const seen = new Set<TaskType>();
    for (const file of files) {
      for (const location of listTasks(parseDefinition(example(file))))
        seen.add(location.task.type);
    }
    expect([...seen].sort()).toEqual([...TASK_TYPES].sort());
  });

  it('order-saga: three workers, two with compensations', () => {
    const definition = parseDefinition(example('order-saga.yaml'));
    expect(definition.name).toBe('order-saga');
    expect(definition.tasks.map((task) => task.ref)).toEqual(['reserve', 'charge', 'ship']);
    expect(definition.tasks.map((task) => task.compensation?.ref)).toEqual([
      'release',
      'refund',
      undefined,
    ]);
    const charge = definition.tasks[1]!;
    expect(charge.type === 'worker' && charge.priority).toBe(80);
    expect(charge.retry).toEqual({
      maxAttempts: 5,
      backoff: 'exponential',
      initialIntervalMs: 500,
      maxIntervalMs: 10000,
      multiplier: 2,
      jitter: 0.2,
      nonRetryableErrors: ['CARD_DECLINED', 'INSUFFICIENT_FUNDS'],
    });
    expect(charge.timeouts).toEqual({
      scheduleToStartMs: 0,
      startToCloseMs: 30000,
      heartbeatMs: 10000,
    });
    expect(indexTasks(definition).get('refund')).toMatchObject({
      parentRef: 'charge',
      inCompensation: true,
      path: 'tasks[1].compensation',
    });
  });
});

describe('parsing and canonical form', () => {
  const base = doc([
    worker('a', { input: { id: '=input.id' }, retry: { maxAttempts: 2 } }),
    { ref: 'b', type: 'transform', expression: 'tasks.a.output' },
  ]);

  it('reads JSON and YAML to the same definition', () => {
    const fromJson = parseDefinition(JSON.stringify(base), 'json');
    const fromYaml = parseDefinition(toYaml(base), 'yaml');
    const fromAuto = parseDefinition(`  ${JSON.stringify(base)}`, 'auto');
    expect(canonicalDefinitionJson(fromYaml)).toBe(canonicalDefinitionJson(fromJson));
    expect(canonicalDefinitionJson(fromAuto)).toBe(canonicalDefinitionJson(fromJson));
  });

  it('is insensitive to key order, implicit defaults and a leading = on expressions', () => {
    const reordered = {
      tasks: [
        {
          retry: { maxAttempts: 2 },
          input: { id: '=input.id' },
          taskType: 'do.a',
          type: 'worker',
          ref: 'a',
          priority: 50,
        },
        { expression: '= tasks.a.output', type: 'transform', ref: 'b' },
      ],
      timeoutMs: 0,
      defaults: { retry: { backoff: 'exponential' } },
      name: 'test-flow',
    };
    expect(canonicalDefinitionJson(parseDefinition(JSON.stringify(reordered)))).toBe(
      canonicalDefinitionJson(parseDefinition(JSON.stringify(base))),
    );
  });

  it('changes when the definition changes', () => {
    const changed = doc([
      worker('a', { input: { id: '=input.id' }, retry: { maxAttempts: 3 } }),
      { ref: 'b', type: 'transform', expression: 'tasks.a.output' },
    ]);
    expect(canonicalDefinitionJson(parseDefinition(JSON.stringify(changed)))).not.toBe(
      canonicalDefinitionJson(parseDefinition(JSON.stringify(base))),
    );
  });

  it('sorts keys and drops white space', () => {
    const text = canonicalDefinitionJson(
      parseDefinition(JSON.stringify(doc([{ ref: 'w', type: 'wait', durationMs: 5 }]))),
    );
    expect(text.startsWith('{"defaults":{"retry":{"backoff":"exponential"')).toBe(true);
    expect(text).not.toMatch(/\s/);
    expect(JSON.parse(text)).toMatchObject({ name: 'test-flow', timeoutMs: 0 });
  });

  it('resolves defaults into every task', () => {
    const definition = validateDefinition(
      doc([worker('a'), worker('b', { retry: { jitter: 0 } })], {
        defaults: { retry: { maxAttempts: 7 }, timeouts: { heartbeatMs: 0 } },
      }),
    );
    expect(definition.tasks[0]!.retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 7 });
    expect(definition.tasks[1]!.retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 7, jitter: 0 });
    expect(definition.tasks[0]!.timeouts.heartbeatMs).toBe(0);
    expect(definition.tasks[0]!.type === 'worker' && definition.tasks[0].priority).toBe(50);
  });

  it('fills type defaults', () => {
    const definition: Definition = validateDefinition(
      doc([
        { ref: 'h', type: 'http', url: 'https://example.com/x' },
        { ref: 'p', type: 'parallel', branches: [[worker('p1')], [worker('p2')]] },
        { ref: 'f', type: 'foreach', items: 'input.list', body: [worker('f1')] },
        { ref: 'l', type: 'loop', body: [worker('l1')], while: 'false' },
        { ref: 's', type: 'subworkflow', workflow: 'child' },
      ]),
    );
    expect(definition.tasks[0]).toMatchObject({
      method: 'GET',
      headers: {},
      timeoutMs: 10000,
      expectedStatus: [200, 201, 202, 203, 204, 205, 206],
    });
    expect(definition.tasks[1]).toMatchObject({ join: { mode: 'all' } });
    expect(definition.tasks[2]).toMatchObject({ concurrency: 10, join: { mode: 'all' } });
    expect(definition.tasks[3]).toMatchObject({ maxIterations: 100 });
    expect(definition.tasks[4]).toMatchObject({ version: 'latest' });
  });
});

describe('errors name their path', () => {
  it('reports a bound with the path of the field', () => {
    const tasks = [
      worker('a'),
      worker('b'),
      worker('c'),
      worker('d', { retry: { maxAttempts: 101 } }),
    ];
    expect(problems(doc(tasks))).toEqual(['tasks[3].retry.maxAttempts: must be ≤ 100']);
  });

  it('collects every problem in one error', () => {
    const error = (() => {
      try {
        parseDefinition(
          JSON.stringify({
            name: '9bad name',
            version: 3,
            tasks: [
              worker('a', { retry: { maxAttempts: 0, jitter: 2 }, priority: 1.5 }),
              { ref: 'b', type: 'wiat', durationMs: 5 },
              { ref: 'a', type: 'set', variables: { total: 'input.price *' } },
              {
                ref: 'c',
                type: 'parallel',
                branches: [[worker('c1', { retires: 3 })]],
                join: { quorum: 2 },
              },
            ],
          }),
        );
      } catch (caught) {
        return caught as DefinitionInvalidError;
      }
      throw new Error('expected an error');
    })();
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.name).toBe('DefinitionInvalidError');
    expect(error.issues.map(formatIssue)).toEqual([
      'version: is assigned by the engine when the definition is registered; remove it',
      'name: must start with a letter and contain only letters, digits, _ . : and -',
      'tasks[0].retry.maxAttempts: must be ≥ 1',
      'tasks[0].retry.jitter: must be ≤ 1',
      'tasks[0].priority: must be a whole number, not a number',
      "tasks[1].type: must be one of worker, http, parallel, foreach, switch, loop, subworkflow, wait, signal, set, transform, terminate (did you mean 'wait'?)",
      "tasks[2].ref: 'a' is already the ref of tasks[0]; refs must be unique",
      'tasks[2].variables.total: expression does not parse: Unexpected end of expression at position 13 (S0207)',
      "tasks[3].branches[0][0].retires: unknown field (did you mean 'retry'?)",
      'tasks[3].join.quorum: must be ≤ the number of branches (1)',
    ]);
    expect(error.message).toContain('is invalid (10 problems)');
    expect(error.message).toContain('tasks[0].retry.maxAttempts: must be ≥ 1');
  });

  it('reports missing and mistyped fields', () => {
    expect(problems({ tasks: [{ ref: 'a', type: 'worker' }] })).toEqual([
      'name: is required',
      'tasks[0].taskType: is required',
    ]);
    expect(problems(doc([worker('a', { timeouts: { startToCloseMs: '5s' } })]))).toEqual([
      'tasks[0].timeouts.startToCloseMs: must be a number, not a string',
    ]);
    expect(problems(doc([]))).toEqual(['tasks: must not be empty']);
    expect(problems(doc([{ ref: 'a' }]))).toEqual([
      'tasks[0].type: is required: one of worker, http, parallel, foreach, switch, loop, subworkflow, wait, signal, set, transform, terminate',
    ]);
    expect(problems([1, 2])).toEqual(['a workflow definition must be an object, not an array']);
    expect(problems(doc([worker('a-b')]))[0]).toMatch(
      /^tasks\[0\]\.ref: must start with a letter or _/,
    );
    expect(problems(doc([worker('and')]))).toEqual([
      'tasks[0].ref: is a reserved word in expressions',
    ]);
  });

  it('finds refs that repeat across nesting and compensations', () => {
    const tasks = [
      worker('a', { compensation: worker('undo') }),
      {
        ref: 's',
        type: 'switch',
        cases: [{ when: 'true', tasks: [worker('undo')] }],
        default: [worker('a')],
      },
    ];
    expect(problems(doc(tasks))).toEqual([
      "tasks[1].cases[0].tasks[0].ref: 'undo' is already the ref of tasks[0].compensation; refs must be unique",
      "tasks[1].default[0].ref: 'a' is already the ref of tasks[0]; refs must be unique",
    ]);
  });

  it('checks references to task outputs', () => {
    const tasks = [
      worker('a', {
        input: { x: '=tasks.b.output', y: '=tasks.nope.output', z: '=tasks.aa.output' },
      }),
      worker('b'),
      worker('aa'),
    ];
    expect(problems(doc(tasks))).toEqual([
      "tasks[0].input.x: refers to task 'b' (tasks[1]), which runs later",
      "tasks[0].input.y: refers to task 'nope', which is not defined",
      "tasks[0].input.z: refers to task 'aa' (tasks[2]), which runs later",
    ]);
    const missing = problems(
      doc([worker('reserve'), { ref: 't', type: 'transform', expression: 'tasks.reserv.output' }]),
    );
    expect(missing).toEqual([
      "tasks[1].expression: refers to task 'reserv', which is not defined (did you mean 'reserve'?)",
    ]);
  });

  it('allows the references that make sense', () => {
    const definition = validateDefinition(
      doc(
        [
          worker('a', {
            assign: { id: 'tasks.a.output.id' },
            compensation: worker('undo_a', { input: '=tasks.b.output' }),
          }),
          { ref: 'l', type: 'loop', while: 'tasks.step.output.more', body: [worker('step')] },
          { ref: 't', type: 'transform', expression: 'items[tasks.x = 1].(tasks.y)' },
          worker('b', { input: '=$.tasks.a.output' }),
        ],
        { output: 'tasks.b.output' },
      ),
    );
    expect(definition.tasks).toHaveLength(4);
  });

  it('checks the kinds of each task type', () => {
    expect(
      problems(
        doc([
          { ref: 'w', type: 'wait', durationMs: 5, until: '$millis()' },
          { ref: 'w2', type: 'wait' },
          { ref: 'h', type: 'http', url: 'ftp://example.com', headers: { 'bad header': 'x' } },
          { ref: 'v', type: 'subworkflow', workflow: 'child', version: 0 },
          { ref: 'j', type: 'foreach', items: 'input.list', body: [worker('j1')], join: 'some' },
          { ref: 'x', type: 'terminate', status: 'DONE' },
          {
            ref: 'r',
            type: 'worker',
            taskType: 'x',
            retry: { initialIntervalMs: 5000, maxIntervalMs: 1000 },
          },
        ]),
      ),
    ).toEqual([
      'tasks[0]: give either durationMs or until, not both',
      'tasks[1]: give either durationMs or until',
      'tasks[2].headers["bad header"]: key "bad header" is not a valid HTTP header name',
      'tasks[2].url: must be an http:// or https:// URL, or an expression starting with =',
      'tasks[3].version: must be a version number ≥ 1 or "latest"',
      'tasks[4].join: must be "all" or {quorum: n}',
      'tasks[5].status: must be one of "COMPLETED", "FAILED"',
      'tasks[6].retry.maxIntervalMs: maxIntervalMs (1000) must be ≥ initialIntervalMs (5000)',
    ]);
  });

  it('checks compensations and worker limits', () => {
    expect(
      problems(
        doc([
          worker('a', { compensation: { ref: 'stop', type: 'terminate', status: 'FAILED' } }),
          worker('b', { compensation: worker('undo_b', { compensation: worker('undo_undo') }) }),
          { ref: 'c', type: 'terminate', status: 'COMPLETED', compensation: worker('undo_c') },
          worker('d', { taskType: 'shared', concurrencyLimit: 5 }),
          worker('e', { taskType: 'shared', concurrencyLimit: 6 }),
        ]),
      ),
    ).toEqual([
      'tasks[0].compensation.type: a compensation cannot be a terminate task',
      'tasks[1].compensation.compensation: a compensation cannot itself have a compensation',
      'tasks[2].compensation: a terminate task has nothing to compensate',
      "tasks[4]: task type 'shared' has different limits at tasks[3]; give its rateLimitPerSecond and concurrencyLimit once, or the same everywhere",
    ]);
  });

  it('rejects unsafe expressions', () => {
    expect(
      problems(doc([{ ref: 't', type: 'transform', expression: '$eval(input.code)' }])),
    ).toEqual([
      'tasks[0].expression: expression is not allowed: $eval is not available in workflow expressions at position 5',
    ]);
  });

  it('validates the input schema', () => {
    expect(
      problems(
        doc([worker('a')], { inputSchema: { type: 'thing', properties: { a: { minimum: 'x' } } } }),
      ),
    ).toEqual([
      'inputSchema.type: must be one of "object", "array", "string", "number", "integer", "boolean", "null"',
      'inputSchema.properties.a.minimum: must be a number, not a string',
    ]);
    expect(problems(doc([worker('a')], { inputSchema: { pattern: '(a+)+' } }))[0]).toMatch(
      /^inputSchema\.pattern: regular expression repeats a group/,
    );
  });
});

describe('limits', () => {
  const small: DefinitionLimits = {
    ...DEFAULT_DEFINITION_LIMITS,
    maxTasks: 5,
    maxNestingDepth: 2,
    maxIssues: 3,
    maxDocumentBytes: 2000,
  };

  it('bounds the number of tasks', () => {
    const tasks = Array.from({ length: 8 }, (_, i) => worker(`t${i}`));
    expect(problems(doc(tasks), small)).toEqual([
      'tasks[5]: the definition has more than 5 tasks (compensations included)',
    ]);
  });

  it('bounds nesting', () => {
    const nested = {
      ref: 'p1',
      type: 'loop',
      while: 'false',
      body: [{ ref: 'p2', type: 'loop', while: 'false', body: [worker('deep')] }],
    };
    expect(problems(doc([nested]), small)).toEqual([
      'tasks[0].body[0].body[0]: tasks are nested deeper than 2 levels',
    ]);
  });

  it('caps the issues it collects', () => {
    try {
      validateDefinition(
        doc(Array.from({ length: 5 }, (_, i) => worker(`t${i}`, { priority: -1 }))),
        small,
      );
      throw new Error('expected an error');
    } catch (error) {
      const invalid = error as DefinitionInvalidError;
      expect(invalid.issues).toHaveLength(3);
      expect(invalid.truncated).toBe(true);
      expect(invalid.message).toContain('more than 3 problems');
    }
  });

  it('bounds the document size', () => {
    expect(() =>
      parseDefinition(
        JSON.stringify(doc([worker('a', { description: 'x'.repeat(3000) })])),
        'json',
        small,
      ),
    ).toThrow(/larger than the limit of 2000/);
  });

  it('reports unreadable documents', () => {
    expect(() => parseDefinition('{"name": ', 'json')).toThrow(/not valid JSON/);
    expect(() => parseDefinition('name: a\nname: b\ntasks: []', 'yaml')).toThrow(/not valid YAML/);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(9)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(',')}]`,
      );
    expect(() => parseDefinition(bomb.join('\n'), 'yaml')).toThrow(/not valid YAML|alias/i);
  });
});

describe('hostile documents', () => {
  it('refuses deep nesting before any recursive step', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(problems(doc([worker('a', { input: deep })]))[0]).toBe(
      'the document is nested deeper than 128 levels',
    );
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 5000; i++) schema = { type: 'array', items: schema };
    expect(problems(doc([worker('a')], { inputSchema: schema }))).toEqual([
      'the document is nested deeper than 128 levels',
    ]);
  });

  it('checks an explicit heartbeat against the lease', () => {
    expect(
      problems(doc([worker('a', { timeouts: { startToCloseMs: 1000, heartbeatMs: 5000 } })])),
    ).toEqual([
      'tasks[0].timeouts.heartbeatMs: heartbeatMs (5000) must be ≤ startToCloseMs (1000): a heartbeat window longer than the lease never fires',
    ]);
    expect(
      validateDefinition(doc([worker('a', { timeouts: { startToCloseMs: 1000 } })])).tasks[0]!
        .timeouts,
    ).toEqual({
      scheduleToStartMs: 0,
      startToCloseMs: 1000,
      heartbeatMs: 30000,
    });
  });
});

describe('set tasks', () => {
  it('reject expressions that read another variable the same task sets', () => {
    expect(
      problems(
        doc([
          {
            ref: 's',
            type: 'set',
            variables: {
              subtotal: 'input.price',
              total: 'vars.subtotal * 2',
              count: 'vars.count + 1',
            },
          },
        ]),
      ),
    ).toEqual([
      'tasks[0].variables.total: reads vars.subtotal, which this same task sets; the expressions of one set task all see the variables as they were before it, so compute it in an earlier set task',
    ]);
    expect(
      problems(doc([{ ref: 's', type: 'set', variables: { a: '$keys(vars)', b: '1' } }])),
    ).toEqual([
      'tasks[0].variables.a: reads all of vars while this task sets variables; read the ones you need (vars.<name>) or use two set tasks',
    ]);
  });

  it('allow increments and reads of other variables', () => {
    const definition = validateDefinition(
      doc([
        {
          ref: 's',
          type: 'set',
          variables: {
            count: 'vars.count + 1',
            total: 'vars.price * 2',
            all: '$count(input.items[vars.x])',
          },
        },
      ]),
    );
    expect(definition.tasks[0]).toMatchObject({ type: 'set' });
  });
});

describe('canonical form as a document', () => {
  const files = readdirSync(examplesDir).filter((file) => file.endsWith('.yaml'));

  it.each(files)('%s: the canonical form parses back to itself', (file) => {
    const canonical = canonicalDefinitionJson(parseDefinition(example(file)));
    expect(canonicalDefinitionJson(parseDefinition(canonical, 'json'))).toBe(canonical);
  });

  it('accepts both spellings of a join', () => {
    const branches = [[worker('a')], [worker('b')]];
    const short = validateDefinition(
      doc([{ ref: 'p', type: 'parallel', branches, join: { quorum: 1 } }]),
    );
    const long = validateDefinition(
      doc([{ ref: 'p', type: 'parallel', branches, join: { mode: 'quorum', count: 1 } }]),
    );
    expect(canonicalDefinitionJson(long)).toBe(canonicalDefinitionJson(short));
    expect(
      problems(doc([{ ref: 'p', type: 'parallel', branches, join: { mode: 'quorum', count: 0 } }])),
    ).toEqual(['tasks[0].join.count: must be a whole number ≥ 1']);
  });
});
