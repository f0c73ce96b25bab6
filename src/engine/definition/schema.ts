import { z } from 'zod';
import type { DefinitionLimits } from './types.ts';

/**
 * zod schemas of the *document* (what a user writes), one per task type plus the top level.
 * Nested task lists, templates, joins and versions are left `unknown` here: the validator walks
 * them itself so that it controls paths, depth and task counts, and can say exactly what is
 * wrong instead of "no union member matched".
 */

/** Task refs and variable names are read inside expressions (`tasks.reserve`, `vars.total`). */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const IDENTIFIER_RULE =
  'must start with a letter or _ and contain only letters, digits and _ (it is used in expressions)';
/** Names of workflows, task types and signals. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
export const NAME_RULE = 'must start with a letter and contain only letters, digits, _ . : and -';
export const ERROR_CODE_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const HEADER_NAME_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Words JSONata reads as operators or literals: a ref or variable named so is unreadable. */
export const RESERVED_IDENTIFIERS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'in',
  'true',
  'false',
  'null',
  'function',
]);

const MAX_DESCRIPTION_LENGTH = 4000;
const MAX_REASON_LENGTH = 1000;
const MAX_NON_RETRYABLE_ERRORS = 100;
const MAX_HEADERS = 100;
const MAX_EXPECTED_STATUSES = 100;
const MAX_CASES = 100;
const MAX_VARIABLES = 200;
const MAX_HTTP_TIMEOUT_MS = 15 * 60 * 1000;
const MAX_MULTIPLIER = 100;
const MAX_RATE_LIMIT_PER_SECOND = 1_000_000;
const MAX_CONCURRENCY_LIMIT = 1_000_000;

export interface DocumentSchemas {
  readonly top: z.ZodType;
  readonly retry: z.ZodType;
  readonly timeouts: z.ZodType;
  readonly tasks: { readonly [type: string]: z.ZodType };
}

export function buildSchemas(limits: DefinitionLimits): DocumentSchemas {
  const identifier = z
    .string()
    .max(limits.maxIdentifierLength)
    .regex(IDENTIFIER_PATTERN, IDENTIFIER_RULE)
    .refine((value) => !RESERVED_IDENTIFIERS.has(value), 'is a reserved word in expressions');
  const name = z.string().min(1).max(limits.maxIdentifierLength).regex(NAME_PATTERN, NAME_RULE);
  const expression = z.string().min(1).max(limits.maxExpressionLength);
  const description = z.string().max(MAX_DESCRIPTION_LENGTH);
  const durationMs = z.number().int().min(0).max(limits.maxDurationMs);
  const positiveDurationMs = z.number().int().min(1).max(limits.maxDurationMs);
  const taskList = z.array(z.unknown()).min(1);

  const retry = z.strictObject({
    maxAttempts: z.number().int().min(1).max(limits.maxRetryAttempts).optional(),
    backoff: z.enum(['fixed', 'exponential']).optional(),
    initialIntervalMs: durationMs.optional(),
    maxIntervalMs: durationMs.optional(),
    multiplier: z.number().min(1).max(MAX_MULTIPLIER).optional(),
    jitter: z.number().min(0).max(1).optional(),
    nonRetryableErrors: z
      .array(
        z
          .string()
          .min(1)
          .max(limits.maxIdentifierLength)
          .regex(ERROR_CODE_PATTERN, 'must contain only letters, digits, _ . : and -'),
      )
      .max(MAX_NON_RETRYABLE_ERRORS)
      .optional(),
  });
  const timeouts = z.strictObject({
    scheduleToStartMs: durationMs.optional(),
    startToCloseMs: positiveDurationMs.optional(),
    heartbeatMs: durationMs.optional(),
  });

  const common = {
    ref: identifier,
    description: description.optional(),
    input: z.unknown().optional(),
    assign: z.record(identifier, expression).optional(),
    retry: retry.optional(),
    timeouts: timeouts.optional(),
    compensation: z.unknown().optional(),
  };

  const tasks: { [type: string]: z.ZodType } = {
    worker: z.strictObject({
      ...common,
      type: z.literal('worker'),
      taskType: name,
      priority: z.number().int().min(limits.minPriority).max(limits.maxPriority).optional(),
      rateLimitPerSecond: z.number().gt(0).max(MAX_RATE_LIMIT_PER_SECOND).optional(),
      concurrencyLimit: z.number().int().min(1).max(MAX_CONCURRENCY_LIMIT).optional(),
    }),
    http: z.strictObject({
      ...common,
      type: z.literal('http'),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).optional(),
      url: z.string().min(1).max(limits.maxExpressionLength),
      headers: z
        .record(
          z.string().regex(HEADER_NAME_PATTERN, 'is not a valid HTTP header name'),
          z.unknown(),
        )
        .refine(
          (value) => Object.keys(value).length <= MAX_HEADERS,
          `must have at most ${MAX_HEADERS} headers`,
        )
        .optional(),
      body: z.unknown().optional(),
      expectedStatus: z
        .array(z.number().int().min(100).max(599))
        .min(1)
        .max(MAX_EXPECTED_STATUSES)
        .optional(),
      timeoutMs: z.number().int().min(1).max(MAX_HTTP_TIMEOUT_MS).optional(),
    }),
    parallel: z.strictObject({
      ...common,
      type: z.literal('parallel'),
      branches: z.array(z.unknown()).min(1).max(limits.maxBranches),
      join: z.unknown().optional(),
    }),
    foreach: z.strictObject({
      ...common,
      type: z.literal('foreach'),
      items: expression,
      concurrency: z.number().int().min(1).max(limits.maxForeachConcurrency).optional(),
      body: taskList,
      join: z.unknown().optional(),
    }),
    switch: z.strictObject({
      ...common,
      type: z.literal('switch'),
      cases: z
        .array(z.strictObject({ when: expression, tasks: taskList }))
        .min(1)
        .max(MAX_CASES),
      default: z.array(z.unknown()).optional(),
    }),
    loop: z.strictObject({
      ...common,
      type: z.literal('loop'),
      body: taskList,
      while: expression,
      maxIterations: z.number().int().min(1).max(limits.maxLoopIterations).optional(),
    }),
    subworkflow: z.strictObject({
      ...common,
      type: z.literal('subworkflow'),
      workflow: name,
      version: z.unknown().optional(),
    }),
    wait: z.strictObject({
      ...common,
      type: z.literal('wait'),
      durationMs: durationMs.optional(),
      until: expression.optional(),
    }),
    signal: z.strictObject({
      ...common,
      type: z.literal('signal'),
      name,
      timeoutMs: positiveDurationMs.optional(),
    }),
    set: z.strictObject({
      ...common,
      type: z.literal('set'),
      variables: z
        .record(identifier, expression)
        .refine((value) => Object.keys(value).length >= 1, 'must set at least one variable')
        .refine(
          (value) => Object.keys(value).length <= MAX_VARIABLES,
          `must set at most ${MAX_VARIABLES} variables`,
        ),
    }),
    transform: z.strictObject({
      ...common,
      type: z.literal('transform'),
      expression,
    }),
    terminate: z.strictObject({
      ...common,
      type: z.literal('terminate'),
      status: z.enum(['COMPLETED', 'FAILED']),
      output: expression.optional(),
      reason: z.string().max(MAX_REASON_LENGTH).optional(),
    }),
  };

  const top = z.strictObject({
    name,
    description: description.optional(),
    inputSchema: z.unknown().optional(),
    output: expression.optional(),
    timeoutMs: durationMs.optional(),
    defaults: z.strictObject({ retry: retry.optional(), timeouts: timeouts.optional() }).optional(),
    tasks: taskList,
  });

  return { top, retry, timeouts, tasks };
}

/** The fields a schema allows at `path` inside it, for "did you mean" hints. */
export function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): readonly string[] {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) {
      current = (current.shape as Record<string, z.ZodType | undefined>)[String(key)];
    } else if (current instanceof z.ZodArray) {
      current = current.element as z.ZodType;
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
    } else {
      return [];
    }
    if (current === undefined) return [];
  }
  current = unwrap(current);
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 8; i++) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else {
      break;
    }
  }
  return current;
}
