import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExpressionScope, JsonValue } from './definition/types.ts';
import {
  compileExpression,
  DEFAULT_EXPRESSION_LIMITS,
  evaluateExpression,
  evaluateTemplate,
  ExpressionError,
  isTruthy,
  regexProblem,
  type ExpressionContext,
} from './expression.ts';

const context: ExpressionContext = { nowMs: Date.UTC(2026, 10, 27, 16, 30, 0, 123), seed: 7 };

const scope: ExpressionScope = {
  input: {
    orderId: 'o-1',
    items: [
      { sku: 'a', quantity: 2, price: 5 },
      { sku: 'b', quantity: 1, price: 12.5 },
    ],
  },
  vars: { reservationId: 'r-9', total: 22.5 },
  tasks: { reserve: { status: 'COMPLETED', output: { reservationId: 'r-9', ok: true } } },
};

async function run(
  source: string,
  input: ExpressionScope | JsonValue = scope,
  ctx = context,
  limits = DEFAULT_EXPRESSION_LIMITS,
) {
  return evaluateExpression(compileExpression(source), input, ctx, limits);
}

async function failure(
  source: string,
  input: ExpressionScope | JsonValue = scope,
  limits = DEFAULT_EXPRESSION_LIMITS,
) {
  try {
    await run(source, input, context, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return error as ExpressionError;
  }
  throw new Error(`expected ${source} to fail`);
}

describe('typical mappings', () => {
  it('reads input, variables and earlier task outputs', async () => {
    expect(await run('input.orderId')).toBe('o-1');
    expect(await run('vars.reservationId')).toBe('r-9');
    expect(await run('tasks.reserve.output.reservationId')).toBe('r-9');
    expect(await run('$.tasks.reserve.output.ok')).toBe(true);
  });

  it('builds objects, sums and concatenates', async () => {
    expect(
      await run(
        '{"id": input.orderId, "skus": input.items.sku, "total": $sum(input.items.(quantity * price))}',
      ),
    ).toEqual({
      id: 'o-1',
      skus: ['a', 'b'],
      total: 22.5,
    });
    expect(await run('"charge-" & input.orderId')).toBe('charge-o-1');
    expect(await run('input.items[quantity > 1].sku')).toBe('a');
    expect(await run('$map(input.items, function($i) { $i.sku })')).toEqual(['a', 'b']);
  });

  it('returns undefined for a missing path and plain arrays for sequences', async () => {
    expect(await run('input.nothing')).toBeUndefined();
    const skus = await run('input.items.sku');
    expect(Array.isArray(skus)).toBe(true);
    expect(Object.keys(skus as object)).toEqual(['0', '1']);
  });

  it('returns a copy that shares nothing with the input', async () => {
    const input = { list: [{ a: 1 }] };
    const result = (await run('list', input)) as Array<{ a: number }>;
    result[0]!.a = 2;
    expect(input.list[0]!.a).toBe(1);
  });
});

describe('determinism', () => {
  it('binds $now() and $millis() to the context time', async () => {
    expect(await run('$millis()')).toBe(context.nowMs);
    expect(await run('$now()')).toBe('2026-11-27T16:30:00.123Z');
    expect(await run('$now("[Y0001]-[M01]-[D01]")')).toBe('2026-11-27');
    expect(await run('$millis()', scope, { nowMs: 5, seed: 7 })).toBe(5);
  });

  it('draws $random() and $shuffle() from the context seed', async () => {
    const first = await run('[$random(), $random(), $random()]');
    const again = await run('[$random(), $random(), $random()]');
    const other = await run('[$random(), $random(), $random()]', scope, { ...context, seed: 8 });
    expect(first).toEqual(again);
    expect(first).not.toEqual(other);
    for (const value of first as number[]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    const shuffled = await run('$shuffle([1,2,3,4,5,6,7,8,9,10])');
    expect(await run('$shuffle([1,2,3,4,5,6,7,8,9,10])')).toEqual(shuffled);
    expect([...(shuffled as number[])].sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it('reads zone-less timestamps as UTC and fills parsed dates from the context time', async () => {
    expect(await run('$toMillis("2024-01-01T10:00:00")')).toBe(Date.UTC(2024, 0, 1, 10));
    expect(await run('$toMillis("2024-01-01T10:00:00+01:00")')).toBe(Date.UTC(2024, 0, 1, 9));
    expect(await run('$toMillis("2024-03-04")')).toBe(Date.UTC(2024, 2, 4));
    expect(await run('$toMillis("10:30", "[H]:[m]")')).toBe(Date.UTC(2026, 10, 27, 10, 30));
  });

  it('keeps concurrent evaluations apart', async () => {
    const compiled = compileExpression('[$millis(), $random()]');
    const contexts = [1, 2, 3, 4].map((i) => ({ nowMs: i * 1000, seed: i }));
    const together = await Promise.all(
      contexts.map((ctx) => evaluateExpression(compiled, null, ctx)),
    );
    const alone: unknown[] = [];
    for (const ctx of contexts) alone.push(await evaluateExpression(compiled, null, ctx));
    expect(together).toEqual(alone);
    expect(together.map((pair) => (pair as number[])[0])).toEqual([1000, 2000, 3000, 4000]);
  });

  it('gives byte-identical results for the same input and context (property)', async () => {
    const sources = [
      '$string($)',
      '$sort($keys($))',
      '[$random(), $shuffle($keys($)), $now()]',
      '$each($, function($v, $k) { $k & ":" & $string($v) })',
    ].map((source) => compileExpression(source));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        async (input, seed, nowMs) => {
          const value = JSON.parse(JSON.stringify(input)) as JsonValue;
          for (const compiled of sources) {
            const a = await evaluateExpression(compiled, value, { nowMs, seed });
            const b = await evaluateExpression(
              compiled,
              JSON.parse(JSON.stringify(input)) as JsonValue,
              { nowMs, seed },
            );
            expect(JSON.stringify(a)).toBe(JSON.stringify(b));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('limits', () => {
  it('stops unbounded tail recursion with a step limit', async () => {
    const error = await failure('($loop := function($n) { $loop($n + 1) }; $loop(0))');
    expect(error.failure).toBe('STEP_LIMIT');
    expect(error.code).toBe('RESOURCE_EXHAUSTED');
    expect(error.message).toContain('evaluation steps');
  });

  it('stops deep recursion with a depth limit', async () => {
    const error = await failure('($deep := function($n) { 1 + $deep($n + 1) }; $deep(0))');
    expect(error.failure).toBe('DEPTH_LIMIT');
    expect(error.message).toContain('unbounded recursion');
  });

  it('allows bounded recursion', async () => {
    expect(await run('($f := function($n) { $n <= 1 ? 1 : $n * $f($n - 1) }; $f(10))')).toBe(
      3628800,
    );
  });

  it('counts steps over large iterations', async () => {
    const error = await failure('$map([1..200000], function($v) { $v * 2 })');
    expect(error.failure).toBe('STEP_LIMIT');
    const small = { ...DEFAULT_EXPRESSION_LIMITS, maxSteps: 50 };
    expect((await failure('$map([1..100], function($v) { $v * 2 })', scope, small)).failure).toBe(
      'STEP_LIMIT',
    );
  });

  it('refuses strings that grow past the value limit', async () => {
    const error = await failure('$reduce([1..40], function($acc, $i) { $acc & $acc }, "x")');
    expect(error.failure).toBe('SIZE_LIMIT');
    expect(error.message).toContain('string of');
    expect((await failure('$pad("x", 100000000)')).failure).toBe('SIZE_LIMIT');
  });

  it('refuses results larger than the output limit, even with shared structure', async () => {
    const error = await failure('($x := [1..1000]; $x.{"copy": $x})');
    expect(error.failure).toBe('SIZE_LIMIT');
    expect(error.message).toContain('bytes as JSON');
    const tight = { ...DEFAULT_EXPRESSION_LIMITS, maxOutputBytes: 10 };
    expect((await failure('"hello world, this is long"', scope, tight)).failure).toBe('SIZE_LIMIT');
  });

  it('charges large values by size, so repeated work over a big list stops', async () => {
    const error = await failure('($big := [1..100000]; [1..1000][$ in $big])');
    expect(error.failure).toBe('STEP_LIMIT');
    expect((await failure('[1..2000].$string([1..50000])')).failure).toBe('STEP_LIMIT');
  });

  it('computes $distinct in linear time with jsonata equality', async () => {
    expect(await run('$count($distinct([1..5000].{"a": $ % 100, "b": [$ % 2]}))')).toBe(100);
    expect(
      await run('$distinct([{"a": 1, "b": 2}, {"b": 2, "a": 1}, 1, "1", 1, null, [1], [1]])'),
    ).toEqual([{ a: 1, b: 2 }, 1, '1', null, [1]]);
    expect(await run('$distinct(input.items.sku)')).toEqual(['a', 'b']);
    expect(await run('$distinct(["x", "x"])')).toEqual(['x']);
    expect(await run('$distinct(input.items[0].sku)')).toBe('a');
  });

  it('refuses huge ranges', async () => {
    expect((await failure('[1..20000000]')).failure).toBe('EVALUATION');
    expect((await failure('$count([1..2000000])')).jsonataCode).toBe('D2015');
  });
});

describe('errors and safety', () => {
  it('wraps syntax errors with the expression and position', () => {
    expect(() => compileExpression('input.a +')).toThrow(ExpressionError);
    try {
      compileExpression('input.a +');
    } catch (error) {
      const wrapped = error as ExpressionError;
      expect(wrapped.failure).toBe('SYNTAX');
      expect(wrapped.position).toBe(9);
      expect(wrapped.jsonataCode).toBe('S0207');
      expect(wrapped.message).toBe(
        'expression "input.a +": Unexpected end of expression at position 9 (S0207)',
      );
    }
  });

  it('wraps evaluation errors with position and jsonata code', async () => {
    const error = await failure('input.orderId + 1');
    expect(error.failure).toBe('EVALUATION');
    expect(error.jsonataCode).toBe('T2001');
    expect(error.position).toBe(15);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect((await failure('$error("boom")')).message).toContain('boom');
  });

  it('refuses functions in results', async () => {
    expect((await failure('function($x) { $x }')).failure).toBe('NOT_JSON');
    expect((await failure('{"f": $uppercase}')).failure).toBe('NOT_JSON');
  });

  it('removes $eval and rejects backtracking regular expressions', () => {
    expect(() => compileExpression('$eval("1 + 1")')).toThrow(/\$eval is not available/);
    expect(() => compileExpression('$match(input.s, /(a+)+$/)')).toThrow(/exponential time/);
    expect(() => compileExpression('$match(input.s, /(\\w+\\s?)*$/)')).toThrow(/exponential time/);
    expect(() => compileExpression('$match(input.s, /(a)\\1/)')).toThrow(/back-reference/);
  });

  it('runs safe regular expressions', async () => {
    expect(await run('$contains(input.orderId, /^o-\\d+$/)')).toBe(true);
    expect(await run('$replace("a-b-c", /-/, "+")')).toBe('a+b+c');
  });

  it('tells nested repetition from plain groups', () => {
    expect(regexProblem('(ab)+')).toBeUndefined();
    expect(regexProblem('(a|b)*c')).toBeUndefined();
    expect(regexProblem('[a+]+')).toBeUndefined();
    expect(regexProblem('(a+){2}')).toBeUndefined();
    expect(regexProblem('(a+)?')).toBeUndefined();
    expect(regexProblem('((a+)b)*')).toBeDefined();
    expect(regexProblem('(a*)*')).toBeDefined();
    expect(regexProblem('(?:x{1,3})+')).toBeDefined();
  });

  it('rejects empty expressions and accepts a leading =', async () => {
    expect(() => compileExpression('  ')).toThrow(/is empty/);
    expect(compileExpression('= input.orderId').source).toBe('input.orderId');
    expect(await run('=input.orderId')).toBe('o-1');
  });

  it('caches compiled expressions by source', () => {
    expect(compileExpression('vars.total * 2')).toBe(compileExpression('vars.total * 2'));
  });
});

describe('templates', () => {
  it('evaluates =-strings and keeps literals', async () => {
    const template = {
      orderId: '=input.orderId',
      fixed: 'literal text',
      escaped: '==not an expression',
      count: 3,
      flag: true,
      nothing: null,
      nested: { skus: ['=input.items[0].sku', 'z'] },
      missing: '=input.absent',
    };
    expect(await evaluateTemplate(template, scope, context)).toEqual({
      orderId: 'o-1',
      fixed: 'literal text',
      escaped: '=not an expression',
      count: 3,
      flag: true,
      nothing: null,
      nested: { skus: ['a', 'z'] },
    });
    expect(await evaluateTemplate('=input.absent', scope, context)).toBeNull();
    expect(await evaluateTemplate('=vars', scope, context)).toEqual(scope.vars);
  });
});

describe('isTruthy', () => {
  it('follows JSONata boolean casting', () => {
    expect(
      [undefined, null, false, 0, '', [], {}, [0, false]].map((value) => isTruthy(value)),
    ).toEqual(Array<boolean>(8).fill(false));
    expect([true, 1, 'x', [0, 1], { a: 1 }].map((value) => isTruthy(value))).toEqual(
      Array<boolean>(5).fill(true),
    );
  });
});

describe('hostile keys', () => {
  it('keeps a __proto__ field as data', async () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonValue;
    const result = (await run('$', input)) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(result)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const template = JSON.parse('{"__proto__": "=a"}') as JsonValue;
    expect(JSON.stringify(await evaluateTemplate(template, input, context))).toBe(
      '{"__proto__":1}',
    );
  });
});
