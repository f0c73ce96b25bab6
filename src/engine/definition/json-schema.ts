import { z } from 'zod';
import { regexProblem } from '../expression.ts';
import { childPath } from './paths.ts';
import type { DefinitionIssue, JsonSchema, JsonSchemaType, JsonValue } from './types.ts';

/**
 * A JSON-Schema subset for a workflow's input: type, properties, required, additionalProperties,
 * items, min/maxItems, enum, minimum/maximum, min/maxLength, pattern. Enough to reject a
 * malformed start request at the edge with a path to the problem; no $ref, no combinators.
 */

/** Nesting of an input schema. */
export const MAX_SCHEMA_DEPTH = 32;
const MAX_PATTERN_LENGTH = 1000;
/** Longest string matched against a `pattern` (backtracking grows with it). */
const MAX_PATTERN_INPUT_LENGTH = 10_000;

const schemaType = z.enum(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

export const jsonSchemaSchema: z.ZodType<JsonSchema> = z.lazy(() =>
  z.strictObject({
    type: z.union([schemaType, z.array(schemaType).min(1)]).optional(),
    description: z.string().max(4000).optional(),
    properties: z.record(z.string(), jsonSchemaSchema).optional(),
    required: z.array(z.string()).optional(),
    additionalProperties: z.boolean().optional(),
    items: jsonSchemaSchema.optional(),
    minItems: z.number().int().min(0).optional(),
    maxItems: z.number().int().min(0).optional(),
    enum: z.array(z.json()).min(1).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(0).optional(),
    pattern: z.string().max(MAX_PATTERN_LENGTH).optional(),
  }),
) as z.ZodType<JsonSchema>;

/** Problems of the schema itself beyond its shape: depth, patterns that do not compile. */
export function checkJsonSchema(schema: JsonSchema, path: string, depth = 0): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  if (depth > MAX_SCHEMA_DEPTH) {
    return [{ path, message: `input schema is nested deeper than ${MAX_SCHEMA_DEPTH} levels` }];
  }
  if (schema.pattern !== undefined) {
    const problem = patternProblem(schema.pattern);
    if (problem !== undefined) issues.push({ path: childPath(path, 'pattern'), message: problem });
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    issues.push(
      ...checkJsonSchema(property, childPath(childPath(path, 'properties'), name), depth + 1),
    );
  }
  if (schema.items !== undefined)
    issues.push(...checkJsonSchema(schema.items, childPath(path, 'items'), depth + 1));
  return issues;
}

function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  const problem = regexProblem(pattern);
  return problem === undefined ? undefined : `regular expression ${problem}`;
}

/**
 * Checks `value` against `schema`; returns at most `maxIssues` problems located under `path`
 * (e.g. `input.items[2].quantity: must be ≥ 1`). An empty list means valid.
 */
export function validateJsonSchema(
  schema: JsonSchema,
  value: JsonValue,
  path = 'input',
  maxIssues = 50,
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  check(schema, value, path, issues, maxIssues, 0);
  return issues;
}

function check(
  schema: JsonSchema,
  value: JsonValue,
  path: string,
  issues: DefinitionIssue[],
  maxIssues: number,
  depth: number,
): void {
  const report = (message: string, at = path): void => {
    if (issues.length < maxIssues) issues.push({ path: at, message });
  };
  if (depth > MAX_SCHEMA_DEPTH || issues.length >= maxIssues) return;
  if (schema.type !== undefined) {
    const allowed: readonly JsonSchemaType[] =
      typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!allowed.some((type) => hasType(value, type))) {
      report(`must be ${allowed.join(' or ')}, not ${typeOf(value)}`);
      return;
    }
  }
  if (schema.enum !== undefined && !schema.enum.some((option) => sameJson(option, value))) {
    report(`must be one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      report(`must be ≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      report(`must be ≤ ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    const length = codePoints(value);
    if (schema.minLength !== undefined && length < schema.minLength) {
      report(`must be at least ${schema.minLength} characters long`);
    }
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      report(`must be at most ${schema.maxLength} characters long`);
    }
    if (schema.pattern !== undefined) {
      if (value.length > MAX_PATTERN_INPUT_LENGTH) {
        report(
          `is too long (${value.length} characters) to check against its pattern; the limit is ${MAX_PATTERN_INPUT_LENGTH}`,
        );
      } else if (!new RegExp(schema.pattern, 'u').test(value)) {
        report(`must match the pattern /${schema.pattern}/`);
      }
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      report(`must have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      report(`must have at most ${schema.maxItems} items`);
    if (schema.items !== undefined) {
      for (let i = 0; i < value.length && issues.length < maxIssues; i++) {
        check(schema.items, value[i] ?? null, childPath(path, i), issues, maxIssues, depth + 1);
      }
    }
  } else if (value !== null && typeof value === 'object') {
    for (const required of schema.required ?? []) {
      if (!Object.hasOwn(value, required)) report('is required', childPath(path, required));
    }
    const properties = schema.properties ?? {};
    for (const [key, item] of Object.entries(value)) {
      const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (property !== undefined) {
        check(property, item, childPath(path, key), issues, maxIssues, depth + 1);
      } else if (schema.additionalProperties === false) {
        report('is not an allowed field', childPath(path, key));
      }
    }
  }
}

function hasType(value: JsonValue, type: JsonSchemaType): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (value === undefined) return 'missing';
  return typeof value;
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A high surrogate followed by its low surrogate is one code point.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) i++;
    count++;
  }
  return count;
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return (
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameJson(item, b[i] ?? null))
    );
  }
  if (
    a === null ||
    b === null ||
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    Array.isArray(b)
  )
    return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && sameJson(a[key] ?? null, b[key] ?? null));
}
