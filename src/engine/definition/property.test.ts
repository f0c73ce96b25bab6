import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalDefinitionJson,
  DefinitionInvalidError,
  parseDefinition,
  validateDefinition,
} from './index.ts';

/** Random well-formed documents: a tree of every task type, refs made unique by a counter. */
function documentArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  const leaf = fc.oneof(
    fc.record({
      type: fc.constant('worker'),
      taskType: fc.constantFrom('a.b', 'c'),
      priority: fc.integer({ min: 0, max: 100 }),
    }),
    fc.record({
      type: fc.constant('http'),
      url: fc.constantFrom('https://x.example/a', '="https://x.example/" & input.id'),
      method: fc.constantFrom('GET', 'POST'),
    }),
    fc.record({ type: fc.constant('wait'), durationMs: fc.integer({ min: 0, max: 10_000 }) }),
    fc.record({ type: fc.constant('signal'), name: fc.constantFrom('go', 'stop') }),
    fc.record({
      type: fc.constant('set'),
      variables: fc.dictionary(
        fc.constantFrom('x', 'y', 'z'),
        fc.constantFrom('1', 'input.n + 1', '"s"'),
        { minKeys: 1 },
      ),
    }),
    fc.record({
      type: fc.constant('transform'),
      expression: fc.constantFrom('input', '$count(input.list)', '{"a": vars.x}'),
    }),
    fc.record({
      type: fc.constant('subworkflow'),
      workflow: fc.constant('child'),
      version: fc.constantFrom('latest', 1, 4),
    }),
  );
  const task: fc.Memo<Record<string, unknown>> = fc.memo((depth) => {
    if (depth <= 1) return leaf;
    const list = fc.array(task(depth - 1), { minLength: 1, maxLength: 3 });
    return fc.oneof(
      { weight: 3, arbitrary: leaf },
      fc.record({
        type: fc.constant('parallel'),
        branches: fc.array(list, { minLength: 1, maxLength: 3 }),
        join: fc.constant('all'),
      }),
      fc.record({
        type: fc.constant('foreach'),
        items: fc.constant('input.list'),
        body: list,
        concurrency: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({
        type: fc.constant('loop'),
        body: list,
        while: fc.constant('false'),
        maxIterations: fc.integer({ min: 1, max: 100 }),
      }),
      fc.record({
        type: fc.constant('switch'),
        cases: fc.array(fc.record({ when: fc.constant('input.n > 1'), tasks: list }), {
          minLength: 1,
          maxLength: 2,
        }),
        default: list,
      }),
    );
  });
  return fc
    .record({
      name: fc.constantFrom('flow', 'other.flow'),
      tasks: fc.array(task(3), { minLength: 1, maxLength: 4 }),
    })
    .map((document) => {
      let next = 0;
      const number = (value: unknown): void => {
        if (Array.isArray(value)) {
          value.forEach(number);
        } else if (value !== null && typeof value === 'object') {
          const record = value as Record<string, unknown>;
          if (typeof record.type === 'string') record.ref = `t${next++}`;
          Object.values(record).forEach(number);
        }
      };
      number(document.tasks);
      return document;
    });
}

describe('definitions (property)', () => {
  it('valid random documents validate, and their canonical form is a fixed point', () => {
    fc.assert(
      fc.property(documentArbitrary(), (document) => {
        const canonical = canonicalDefinitionJson(validateDefinition(document));
        expect(canonicalDefinitionJson(parseDefinition(canonical, 'json'))).toBe(canonical);
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary input yields a definition or a DefinitionInvalidError, never anything else', () => {
    const mutated = documentArbitrary().chain((document) =>
      fc.tuple(
        fc.constant(document),
        fc.array(fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })), { maxLength: 4 }),
      ),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          mutated.map(([document, edits]) => mutate(document, edits)),
        ),
        (value) => {
          try {
            validateDefinition(value);
          } catch (error) {
            expect(error).toBeInstanceOf(DefinitionInvalidError);
            expect((error as DefinitionInvalidError).issues.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Replaces random fields (chosen by index among all object fields) with random JSON. */
function mutate(document: unknown, edits: Array<[number, unknown]>): unknown {
  const copy = JSON.parse(JSON.stringify(document)) as unknown;
  const fields: Array<[Record<string, unknown>, string]> = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        fields.push([value as Record<string, unknown>, key]);
        collect(child);
      }
    }
  };
  collect(copy);
  for (const [index, replacement] of edits) {
    const field = fields[index % Math.max(1, fields.length)];
    if (field !== undefined) field[0][field[1]] = replacement;
  }
  return copy;
}
