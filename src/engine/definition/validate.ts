import type { z } from 'zod';
import {
  compileExpression,
  ExpressionError,
  normalizeExpressionSource,
  setOwn,
  templateStringKind,
  walkAst,
} from '../expression.ts';
import { DefinitionInvalidError } from './errors.ts';
import { checkJsonSchema, jsonSchemaSchema, typeOf } from './json-schema.ts';
import { childPath, joinPath } from './paths.ts';
import { allowedKeysAt, buildSchemas, NAME_PATTERN, type DocumentSchemas } from './schema.ts';
import {
  DEFAULT_DEFINITION_LIMITS,
  DEFAULT_PRIORITY,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  TASK_TYPES,
  type Definition,
  type DefinitionDefaults,
  type DefinitionIssue,
  type DefinitionLimits,
  type Expression,
  type HttpMethod,
  type JoinPolicy,
  type JsonSchema,
  type JsonValue,
  type RetryPolicy,
  type Task,
  type TaskBase,
  type TaskTimeouts,
  type TaskType,
  type Template,
} from './types.ts';

/**
 * Turns a parsed document (plain JSON) into a validated Definition, or throws one
 * DefinitionInvalidError listing every problem found (up to `limits.maxIssues`), each with its
 * path. Two passes: shapes (zod, per task, walked by hand so nesting and counts stay bounded),
 * then meaning (unique refs, expressions compile, references to tasks that exist and run
 * earlier, worker limits that agree).
 */
export function validateDefinition(
  document: unknown,
  limits: DefinitionLimits = DEFAULT_DEFINITION_LIMITS,
): Definition {
  const depth = nestingDepth(document, MAX_DOCUMENT_NESTING + 1);
  if (depth > MAX_DOCUMENT_NESTING) {
    throw new DefinitionInvalidError([
      { path: '', message: `the document is nested deeper than ${MAX_DOCUMENT_NESTING} levels` },
    ]);
  }
  const validator = new Validator(limits);
  const definition = validator.run(document);
  if (validator.issues.length > 0 || definition === undefined) {
    const name =
      isRecord(document) && typeof document.name === 'string' && NAME_PATTERN.test(document.name)
        ? document.name
        : undefined;
    throw new DefinitionInvalidError(validator.issues, validator.truncated, name);
  }
  return definition;
}

/**
 * Nesting of objects and arrays anywhere in a document. Checked first and without recursion, so
 * that no later recursive step (zod, templates, canonical JSON) can exhaust the stack.
 */
export const MAX_DOCUMENT_NESTING = 128;

/** The nesting depth of a JSON value, counting stops at `cap`. Iterative. */
function nestingDepth(root: unknown, cap: number): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest >= cap) return deepest;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: level });
    }
  }
  return deepest;
}

const HTTP_DEFAULT_EXPECTED_STATUS: readonly number[] = [200, 201, 202, 203, 204, 205, 206];
const HTTP_DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_FOREACH_CONCURRENCY = 10;
const DEFAULT_MAX_ITERATIONS = 100;
const URL_PATTERN = /^https?:\/\/[^\s]+$/;

let defaultSchemas: DocumentSchemas | undefined;

function schemasFor(limits: DefinitionLimits): DocumentSchemas {
  if (limits !== DEFAULT_DEFINITION_LIMITS) return buildSchemas(limits);
  defaultSchemas ??= buildSchemas(limits);
  return defaultSchemas;
}

interface RefSite {
  readonly path: string;
  /** Position of the task in document order (pre-order, compensations after children). */
  readonly order: number;
}

/** An expression found while building, checked for task references once every ref is known. */
interface ExpressionSite {
  readonly path: string;
  readonly source: string;
  /** The last document-order position this expression may read (its task's subtree end). */
  readonly visibleUpTo: () => number;
}

interface WorkerLimitSite {
  readonly path: string;
  readonly rateLimitPerSecond: number | undefined;
  readonly concurrencyLimit: number | undefined;
}

class StopValidation extends Error {}

class Validator {
  readonly issues: DefinitionIssue[] = [];
  truncated = false;
  private readonly schemas: DocumentSchemas;
  private readonly refs = new Map<string, RefSite>();
  private readonly expressions: ExpressionSite[] = [];
  private readonly workerLimits = new Map<string, WorkerLimitSite>();
  private defaults: DefinitionDefaults = { retry: DEFAULT_RETRY, timeouts: DEFAULT_TIMEOUTS };
  private taskCount = 0;
  private nextOrder = 0;
  private tooManyTasksReported = false;

  constructor(private readonly limits: DefinitionLimits) {
    this.schemas = schemasFor(limits);
  }

  run(document: unknown): Definition | undefined {
    try {
      return this.build(document);
    } catch (error) {
      if (error instanceof StopValidation) return undefined;
      throw error;
    }
  }

  report(path: string, message: string): void {
    if (this.issues.length >= this.limits.maxIssues) {
      this.truncated = true;
      throw new StopValidation();
    }
    this.issues.push({ path, message });
  }

  private build(document: unknown): Definition | undefined {
    if (!isRecord(document)) {
      this.report('', `a workflow definition must be an object, not ${typeOf(document)}`);
      return undefined;
    }
    if ('version' in document) {
      this.report(
        'version',
        'is assigned by the engine when the definition is registered; remove it',
      );
    }
    const { version: _ignored, ...rest } = document;
    const top = this.parseShape(this.schemas.top, rest, '') as TopDocument | undefined;

    this.defaults = this.resolveDefaults(
      isRecord(document.defaults) ? document.defaults : undefined,
    );

    let inputSchema: JsonSchema | undefined;
    if (document.inputSchema !== undefined) {
      inputSchema = this.parseShape(jsonSchemaSchema, document.inputSchema, 'inputSchema') as
        JsonSchema | undefined;
      if (inputSchema !== undefined) {
        for (const issue of checkJsonSchema(inputSchema, 'inputSchema'))
          this.report(issue.path, issue.message);
      }
    }

    const tasks = Array.isArray(document.tasks)
      ? this.taskList(document.tasks, 'tasks', 1, false)
      : [];
    const output =
      typeof document.output === 'string'
        ? this.expression(document.output, 'output', () => Number.MAX_SAFE_INTEGER)
        : undefined;

    this.checkReferences();
    if (top === undefined || this.issues.length > 0) return undefined;
    return {
      name: top.name,
      ...(top.description === undefined ? {} : { description: top.description }),
      ...(inputSchema === undefined ? {} : { inputSchema }),
      ...(output === undefined ? {} : { output }),
      timeoutMs: top.timeoutMs ?? 0,
      defaults: this.defaults,
      tasks,
    };
  }

  // ----------------------------------------------------------------------------------------
  // Shapes

  /** Validates `value` against `schema`; reports every issue under `path`; undefined if invalid. */
  private parseShape(schema: z.ZodType, value: unknown, path: string): unknown {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      this.reportZodIssue(schema, issue, path, value);
    }
    return undefined;
  }

  private reportZodIssue(
    schema: z.ZodType,
    issue: z.core.$ZodIssue,
    base: string,
    root: unknown,
  ): void {
    const path = joinPath(base, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(schema, issue.path);
        for (const key of issue.keys) {
          const hint = closest(key, allowed);
          this.report(
            childPath(path, key),
            `unknown field${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`,
          );
        }
        return;
      }
      case 'invalid_type': {
        const actual = valueAt(root, issue.path);
        if (actual === undefined) {
          this.report(path, 'is required');
        } else {
          this.report(path, `must be ${describeExpected(issue.expected)}, not ${typeOf(actual)}`);
        }
        return;
      }
      case 'too_big':
        this.report(
          path,
          describeBound('≤', '<', 'at most', issue.origin, issue.maximum, issue.inclusive),
        );
        return;
      case 'too_small':
        if (issue.origin === 'array' && Number(issue.minimum) === 1) {
          this.report(path, 'must not be empty');
        } else if (issue.origin === 'string' && Number(issue.minimum) === 1) {
          this.report(path, 'must not be empty');
        } else {
          this.report(
            path,
            describeBound('≥', '>', 'at least', issue.origin, issue.minimum, issue.inclusive),
          );
        }
        return;
      case 'invalid_value':
        this.report(
          path,
          `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`,
        );
        return;
      case 'invalid_key':
        for (const inner of issue.issues) {
          this.report(path, `key ${JSON.stringify(issue.input)} ${inner.message}`);
        }
        return;
      case 'invalid_union': {
        // Explain the first alternative's problems: the forms are listed most usual first.
        const first = issue.errors[0];
        if (first === undefined || first.length === 0) {
          this.report(path, issue.message);
          return;
        }
        const inner = valueAt(root, issue.path);
        for (const nested of first) this.reportZodIssue(schema, nested, path, inner);
        return;
      }
      case 'invalid_format':
      case 'custom':
      case 'not_multiple_of':
      case 'invalid_element':
        this.report(path, issue.message);
        return;
    }
  }

  private resolveDefaults(document: Record<string, unknown> | undefined): DefinitionDefaults {
    const retry = this.resolveRetry(document?.retry, DEFAULT_RETRY, 'defaults.retry');
    const timeouts = this.resolveTimeouts(
      document?.timeouts,
      DEFAULT_TIMEOUTS,
      'defaults.timeouts',
    );
    return { retry, timeouts };
  }

  /**
   * Merges a partial retry document over `base`. Its shape was already checked (and reported) by
   * the schema of the enclosing object; an invalid one falls back to `base`.
   */
  private resolveRetry(value: unknown, base: RetryPolicy, path: string): RetryPolicy {
    if (value === undefined) return base;
    const parsed = this.schemas.retry.safeParse(value).data as Partial<RetryPolicy> | undefined;
    if (parsed === undefined) return base;
    const merged: RetryPolicy = { ...base, ...stripUndefined(parsed) };
    if (merged.maxIntervalMs < merged.initialIntervalMs) {
      const at = parsed.maxIntervalMs === undefined ? 'initialIntervalMs' : 'maxIntervalMs';
      this.report(
        childPath(path, at),
        `maxIntervalMs (${merged.maxIntervalMs}) must be ≥ initialIntervalMs (${merged.initialIntervalMs})`,
      );
    }
    return merged;
  }

  private resolveTimeouts(value: unknown, base: TaskTimeouts, path: string): TaskTimeouts {
    if (value === undefined) return base;
    const parsed = this.schemas.timeouts.safeParse(value).data as Partial<TaskTimeouts> | undefined;
    if (parsed === undefined) return base;
    const merged = { ...base, ...stripUndefined(parsed) };
    // Only an explicit heartbeat is checked: the default one must not make a short lease invalid.
    if (parsed.heartbeatMs !== undefined && merged.heartbeatMs > merged.startToCloseMs) {
      this.report(
        childPath(path, 'heartbeatMs'),
        `heartbeatMs (${merged.heartbeatMs}) must be ≤ startToCloseMs (${merged.startToCloseMs}): a heartbeat window longer than the lease never fires`,
      );
    }
    return merged;
  }

  // ----------------------------------------------------------------------------------------
  // Tasks

  private taskList(
    items: readonly unknown[],
    path: string,
    depth: number,
    inCompensation: boolean,
  ): Task[] {
    const tasks: Task[] = [];
    for (let i = 0; i < items.length; i++) {
      const task = this.task(items[i], childPath(path, i), depth, inCompensation);
      if (task !== undefined) tasks.push(task);
    }
    return tasks;
  }

  /** A nested list field: validated only when it is an array (zod reported otherwise). */
  private nestedList(value: unknown, path: string, depth: number, inCompensation: boolean): Task[] {
    return Array.isArray(value) ? this.taskList(value, path, depth + 1, inCompensation) : [];
  }

  private task(
    value: unknown,
    path: string,
    depth: number,
    inCompensation: boolean,
  ): Task | undefined {
    if (depth > this.limits.maxNestingDepth) {
      this.report(path, `tasks are nested deeper than ${this.limits.maxNestingDepth} levels`);
      return undefined;
    }
    this.taskCount++;
    if (this.taskCount > this.limits.maxTasks) {
      if (!this.tooManyTasksReported) {
        this.tooManyTasksReported = true;
        this.report(
          path,
          `the definition has more than ${this.limits.maxTasks} tasks (compensations included)`,
        );
      }
      return undefined;
    }
    if (!isRecord(value)) {
      this.report(path, `a task must be an object, not ${typeOf(value)}`);
      return undefined;
    }
    const type = value.type;
    if (typeof type !== 'string' || !(TASK_TYPES as readonly string[]).includes(type)) {
      const hint = typeof type === 'string' ? closest(type, TASK_TYPES) : undefined;
      this.report(
        childPath(path, 'type'),
        type === undefined
          ? `is required: one of ${TASK_TYPES.join(', ')}`
          : `must be one of ${TASK_TYPES.join(', ')}${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`,
      );
      return undefined;
    }
    const schema = this.schemas.tasks[type];
    if (schema === undefined) return undefined;
    const order = this.nextOrder++;
    let subtreeEnd = Number.MAX_SAFE_INTEGER;
    const visibleUpTo = (): number => (inCompensation ? Number.MAX_SAFE_INTEGER : subtreeEnd);
    const shapeOk = this.parseShape(schema, value, path) !== undefined;
    const ref = typeof value.ref === 'string' ? value.ref : undefined;
    if (ref !== undefined) this.claimRef(ref, path, order);

    const base = this.taskBase(value, path, type as TaskType, visibleUpTo);
    const task = this.typedTask(
      value,
      path,
      type as TaskType,
      base,
      depth,
      inCompensation,
      visibleUpTo,
    );
    const compensation = this.compensation(value, path, depth, type as TaskType, inCompensation);
    subtreeEnd = this.nextOrder - 1;
    if (!shapeOk || task === undefined || ref === undefined) return undefined;
    return compensation === undefined ? task : { ...task, compensation };
  }

  private claimRef(ref: string, path: string, order: number): void {
    const previous = this.refs.get(ref);
    if (previous !== undefined) {
      this.report(
        childPath(path, 'ref'),
        `'${ref}' is already the ref of ${previous.path}; refs must be unique`,
      );
      return;
    }
    this.refs.set(ref, { path, order });
  }

  private taskBase(
    value: Record<string, unknown>,
    path: string,
    type: TaskType,
    visibleUpTo: () => number,
  ): Omit<TaskBase, 'compensation'> {
    const input =
      value.input === undefined
        ? undefined
        : this.template(value.input, childPath(path, 'input'), visibleUpTo);
    const assign = isRecord(value.assign)
      ? this.expressionMap(value.assign, childPath(path, 'assign'), visibleUpTo)
      : undefined;
    const retry = this.resolveRetry(value.retry, this.defaults.retry, childPath(path, 'retry'));
    const timeouts = this.resolveTimeouts(
      value.timeouts,
      this.defaults.timeouts,
      childPath(path, 'timeouts'),
    );
    return {
      ref: typeof value.ref === 'string' ? value.ref : '',
      type,
      ...(typeof value.description === 'string' ? { description: value.description } : {}),
      ...(input === undefined ? {} : { input }),
      ...(assign === undefined ? {} : { assign }),
      retry,
      timeouts,
    };
  }

  private compensation(
    value: Record<string, unknown>,
    path: string,
    depth: number,
    type: TaskType,
    inCompensation: boolean,
  ): Task | undefined {
    if (value.compensation === undefined) return undefined;
    const at = childPath(path, 'compensation');
    if (inCompensation) {
      this.report(at, 'a compensation cannot itself have a compensation');
      return undefined;
    }
    if (type === 'terminate') {
      this.report(at, 'a terminate task has nothing to compensate');
      return undefined;
    }
    if (isRecord(value.compensation) && value.compensation.type === 'terminate') {
      this.report(childPath(at, 'type'), 'a compensation cannot be a terminate task');
      return undefined;
    }
    return this.task(value.compensation, at, depth + 1, true);
  }

  private typedTask(
    value: Record<string, unknown>,
    path: string,
    type: TaskType,
    base: Omit<TaskBase, 'compensation'>,
    depth: number,
    inCompensation: boolean,
    visibleUpTo: () => number,
  ): Task | undefined {
    const at = (key: string): string => childPath(path, key);
    const expr = (key: string): Expression =>
      typeof value[key] === 'string' ? this.expression(value[key], at(key), visibleUpTo) : '';
    switch (type) {
      case 'worker': {
        const taskType = asString(value.taskType);
        const rateLimitPerSecond = asNumber(value.rateLimitPerSecond);
        const concurrencyLimit = asNumber(value.concurrencyLimit);
        this.checkWorkerLimits(taskType, path, rateLimitPerSecond, concurrencyLimit);
        return {
          ...base,
          type,
          taskType,
          priority: asNumber(value.priority) ?? DEFAULT_PRIORITY,
          ...(rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond }),
          ...(concurrencyLimit === undefined ? {} : { concurrencyLimit }),
        };
      }
      case 'http': {
        const url = this.url(value.url, at('url'), visibleUpTo);
        const headers = isRecord(value.headers)
          ? this.templateMap(value.headers, at('headers'), visibleUpTo)
          : {};
        const body =
          value.body === undefined ? undefined : this.template(value.body, at('body'), visibleUpTo);
        const expectedStatus = Array.isArray(value.expectedStatus)
          ? [...new Set(value.expectedStatus as number[])]
          : HTTP_DEFAULT_EXPECTED_STATUS;
        return {
          ...base,
          type,
          method: (asString(value.method) || 'GET') as HttpMethod,
          url,
          headers,
          ...(body === undefined ? {} : { body }),
          expectedStatus,
          timeoutMs: asNumber(value.timeoutMs) ?? HTTP_DEFAULT_TIMEOUT_MS,
        };
      }
      case 'parallel': {
        const branches: Task[][] = [];
        if (Array.isArray(value.branches)) {
          value.branches.forEach((branch, i) => {
            const branchPath = childPath(at('branches'), i);
            if (!Array.isArray(branch) || branch.length === 0) {
              this.report(branchPath, 'a branch must be a non-empty list of tasks');
              return;
            }
            branches.push(this.taskList(branch, branchPath, depth + 1, inCompensation));
          });
        }
        const join = this.join(
          value.join,
          at('join'),
          Array.isArray(value.branches) ? value.branches.length : undefined,
        );
        return { ...base, type, branches, join };
      }
      case 'foreach': {
        const items = expr('items');
        const body = this.nestedList(value.body, at('body'), depth, inCompensation);
        const join = this.join(value.join, at('join'), undefined);
        const concurrency =
          asNumber(value.concurrency) ??
          Math.min(DEFAULT_FOREACH_CONCURRENCY, this.limits.maxForeachConcurrency);
        return { ...base, type, items, concurrency, body, join };
      }
      case 'switch': {
        const cases = Array.isArray(value.cases)
          ? value.cases.map((entry, i) => {
              const casePath = childPath(at('cases'), i);
              const record = isRecord(entry) ? entry : {};
              const when =
                typeof record.when === 'string'
                  ? this.expression(record.when, childPath(casePath, 'when'), visibleUpTo)
                  : '';
              const tasks = this.nestedList(
                record.tasks,
                childPath(casePath, 'tasks'),
                depth,
                inCompensation,
              );
              return { when, tasks };
            })
          : [];
        const defaultTasks = this.nestedList(value.default, at('default'), depth, inCompensation);
        return { ...base, type, cases, default: defaultTasks };
      }
      case 'loop': {
        const body = this.nestedList(value.body, at('body'), depth, inCompensation);
        return {
          ...base,
          type,
          body,
          while: expr('while'),
          maxIterations:
            asNumber(value.maxIterations) ??
            Math.min(DEFAULT_MAX_ITERATIONS, this.limits.maxLoopIterations),
        };
      }
      case 'subworkflow':
        return {
          ...base,
          type,
          workflow: asString(value.workflow),
          version: this.version(value.version, at('version')),
        };
      case 'wait': {
        const hasDuration = value.durationMs !== undefined;
        const hasUntil = value.until !== undefined;
        if (hasDuration === hasUntil) {
          this.report(
            path,
            hasDuration
              ? 'give either durationMs or until, not both'
              : 'give either durationMs or until',
          );
        }
        if (hasUntil) return { ...base, type, until: expr('until') };
        return { ...base, type, durationMs: asNumber(value.durationMs) ?? 0 };
      }
      case 'signal': {
        const timeoutMs = asNumber(value.timeoutMs);
        return {
          ...base,
          type,
          name: asString(value.name),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        };
      }
      case 'set': {
        const variables = isRecord(value.variables)
          ? this.expressionMap(value.variables, at('variables'), visibleUpTo)
          : {};
        for (const problem of selfReadProblems(variables)) {
          this.report(childPath(at('variables'), problem.name), problem.message);
        }
        return { ...base, type, variables };
      }
      case 'transform':
        return { ...base, type, expression: expr('expression') };
      case 'terminate': {
        const output = value.output === undefined ? undefined : expr('output');
        return {
          ...base,
          type,
          status: value.status === 'FAILED' ? 'FAILED' : 'COMPLETED',
          ...(output === undefined ? {} : { output }),
          ...(typeof value.reason === 'string' ? { reason: value.reason } : {}),
        };
      }
    }
  }

  private checkWorkerLimits(
    taskType: string,
    path: string,
    rateLimitPerSecond: number | undefined,
    concurrencyLimit: number | undefined,
  ): void {
    if (taskType === '') return;
    if (rateLimitPerSecond === undefined && concurrencyLimit === undefined) return;
    const previous = this.workerLimits.get(taskType);
    if (previous === undefined) {
      this.workerLimits.set(taskType, { path, rateLimitPerSecond, concurrencyLimit });
      return;
    }
    if (
      previous.rateLimitPerSecond !== rateLimitPerSecond ||
      previous.concurrencyLimit !== concurrencyLimit
    ) {
      this.report(
        path,
        `task type '${taskType}' has different limits at ${previous.path}; give its rateLimitPerSecond and concurrencyLimit once, or the same everywhere`,
      );
    }
  }

  /**
   * `"all"` or `{quorum: n}`; the parsed form (`{mode: "all"}`, `{mode: "quorum", count: n}`) is
   * accepted too, so that a canonical definition is itself a valid document.
   */
  private join(value: unknown, path: string, branchCount: number | undefined): JoinPolicy {
    if (value === undefined || value === 'all') return { mode: 'all' };
    if (isRecord(value) && Object.keys(value).length === 1 && value.mode === 'all')
      return { mode: 'all' };
    const quorum = !isRecord(value)
      ? undefined
      : Object.keys(value).length === 1 && 'quorum' in value
        ? { count: value.quorum, at: 'quorum' }
        : Object.keys(value).length === 2 && value.mode === 'quorum' && 'count' in value
          ? { count: value.count, at: 'count' }
          : undefined;
    if (quorum !== undefined) {
      const { count } = quorum;
      path = childPath(path, quorum.at);
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
        this.report(path, 'must be a whole number ≥ 1');
        return { mode: 'all' };
      }
      if (branchCount !== undefined && count > branchCount) {
        this.report(path, `must be ≤ the number of branches (${branchCount})`);
      }
      return { mode: 'quorum', count };
    }
    this.report(path, 'must be "all" or {quorum: n}');
    return { mode: 'all' };
  }

  private version(value: unknown, path: string): number | 'latest' {
    if (value === undefined || value === 'latest') return 'latest';
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
    this.report(path, 'must be a version number ≥ 1 or "latest"');
    return 'latest';
  }

  // ----------------------------------------------------------------------------------------
  // Expressions and templates

  /** Compiles an expression field; reports under `path`; returns the normalized source. */
  private expression(source: string, path: string, visibleUpTo: () => number): Expression {
    const normalized = normalizeExpressionSource(source);
    if (normalized.length > this.limits.maxExpressionLength) {
      this.report(path, `expression is longer than ${this.limits.maxExpressionLength} characters`);
      return normalized;
    }
    try {
      compileExpression(normalized);
      this.expressions.push({ path, source: normalized, visibleUpTo });
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.report(
        path,
        `expression ${error.failure === 'SYNTAX' ? 'does not parse' : 'is not allowed'}: ${error.reason}`,
      );
    }
    return normalized;
  }

  private expressionMap(
    record: Record<string, unknown>,
    path: string,
    visibleUpTo: () => number,
  ): { [name: string]: Expression } {
    const result: { [name: string]: Expression } = {};
    for (const [key, source] of Object.entries(record)) {
      if (typeof source === 'string')
        setOwn(result, key, this.expression(source, childPath(path, key), visibleUpTo));
    }
    return result;
  }

  /** Checks every `=`-string of a template compiles; returns the template unchanged. */
  private template(value: unknown, path: string, visibleUpTo: () => number, depth = 0): Template {
    if (depth > this.limits.maxNestingDepth * 4) {
      this.report(path, 'is nested too deeply');
      return null;
    }
    if (typeof value === 'string') {
      if (templateStringKind(value) === 'expression')
        this.expression(value.slice(1), path, visibleUpTo);
      return value;
    }
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) this.report(path, 'must be a finite number');
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((item, i) =>
        this.template(item, childPath(path, i), visibleUpTo, depth + 1),
      );
    }
    if (isRecord(value)) {
      const result: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(value)) {
        setOwn(result, key, this.template(item, childPath(path, key), visibleUpTo, depth + 1));
      }
      return result;
    }
    this.report(path, `must be JSON, not ${typeOf(value)}`);
    return null;
  }

  private templateMap(
    record: Record<string, unknown>,
    path: string,
    visibleUpTo: () => number,
  ): { [key: string]: Template } {
    const result: { [key: string]: Template } = {};
    for (const [key, item] of Object.entries(record))
      setOwn(result, key, this.template(item, childPath(path, key), visibleUpTo));
    return result;
  }

  private url(value: unknown, path: string, visibleUpTo: () => number): Template {
    if (typeof value !== 'string') return '';
    if (templateStringKind(value) === 'literal' && !URL_PATTERN.test(value)) {
      this.report(path, 'must be an http:// or https:// URL, or an expression starting with =');
    }
    return this.template(value, path, visibleUpTo);
  }

  /**
   * Every `tasks.<ref>` an expression reads from the root must name a task of this definition
   * that runs before it (or inside the task that owns the expression). Compensations and the
   * workflow's output run at the end and may read any task.
   */
  private checkReferences(): void {
    for (const site of this.expressions) {
      for (const reference of taskReferences(site.source)) {
        const target = this.refs.get(reference);
        if (target === undefined) {
          const hint = closest(reference, [...this.refs.keys()]);
          this.report(
            site.path,
            `refers to task '${reference}', which is not defined${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`,
          );
        } else if (target.order > site.visibleUpTo()) {
          this.report(
            site.path,
            `refers to task '${reference}' (${target.path}), which runs later`,
          );
        }
      }
    }
  }
}

/**
 * The refs named by paths `tasks.<ref>…`, `$.tasks.<ref>…` or `$$.tasks.<ref>…` evaluated
 * against the root scope. Paths under predicates, group-bys and later steps of another path are
 * relative to something else and are skipped.
 */
export function taskReferences(source: string): string[] {
  return rootReferences(source, 'tasks').filter((name): name is string => name !== WHOLE);
}

/** Marks a read of the whole field (`vars` rather than `vars.total`). */
const WHOLE = Symbol('whole');

/**
 * The second steps of root-scope paths that start with `head` (`vars.total` → `total`), and WHOLE
 * when the expression reads `head` itself.
 */
function rootReferences(source: string, head: string): Array<string | typeof WHOLE> {
  const ast = compileExpression(source).program.ast();
  const found = new Set<string | typeof WHOLE>();
  const relative = new WeakSet<object>();
  walkAst(ast, (node) => {
    if (relative.has(node)) {
      markRelative(node, relative);
      return;
    }
    for (const key of ['stages', 'predicate', 'group'] as const) {
      const child = (node as unknown as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') markRelativeTree(child, relative);
    }
    if ((node.type as string) !== 'path' || node.steps === undefined) return;
    for (const step of node.steps.slice(1)) markRelativeTree(step, relative);
    const steps = node.steps;
    let index = 0;
    const first = steps[0];
    if (first?.type === 'variable' && (first.value === '' || first.value === '$')) index = 1;
    const headStep = steps[index];
    const nameStep = steps[index + 1];
    if (headStep?.type !== 'name' || headStep.value !== head) return;
    found.add(
      nameStep?.type === 'name' && typeof nameStep.value === 'string' ? nameStep.value : WHOLE,
    );
  });
  return [...found];
}

/**
 * A `set` task's expressions must not read another variable the same task sets: whether they
 * would see its old or new value depends on evaluation order, and a map's order is not part of
 * the definition (the canonical form sorts keys). Reading the variable being set (`n: vars.n + 1`)
 * is fine: it is the old value in any order.
 */
function selfReadProblems(variables: {
  readonly [name: string]: Expression;
}): Array<{ name: string; message: string }> {
  const problems: Array<{ name: string; message: string }> = [];
  const names = new Set(Object.keys(variables));
  for (const [name, source] of Object.entries(variables)) {
    let references: Array<string | typeof WHOLE>;
    try {
      references = rootReferences(source, 'vars');
    } catch (error) {
      if (error instanceof ExpressionError) continue;
      throw error;
    }
    for (const reference of references) {
      if (reference === WHOLE && names.size > 1) {
        problems.push({
          name,
          message:
            'reads all of vars while this task sets variables; read the ones you need (vars.<name>) or use two set tasks',
        });
      } else if (reference !== WHOLE && reference !== name && names.has(reference)) {
        problems.push({
          name,
          message: `reads vars.${reference}, which this same task sets; the expressions of one set task all see the variables as they were before it, so compute it in an earlier set task`,
        });
      }
    }
  }
  return problems;
}

function markRelative(node: object, relative: WeakSet<object>): void {
  for (const child of Object.values(node)) markRelativeTree(child, relative);
}

function markRelativeTree(value: unknown, relative: WeakSet<object>): void {
  if (value === null || typeof value !== 'object' || value instanceof RegExp) return;
  if (Array.isArray(value)) {
    for (const item of value) markRelativeTree(item, relative);
    return;
  }
  relative.add(value);
}

// -------------------------------------------------------------------------------------------
// Small helpers

interface TopDocument {
  name: string;
  description?: string;
  timeoutMs?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const result: Partial<T> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) (result as Record<string, unknown>)[key] = item;
  }
  return result;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    case 'record':
      return 'an object';
    default:
      return expected;
  }
}

function describeBound(
  inclusiveSign: string,
  exclusiveSign: string,
  words: string,
  origin: string,
  bound: number | bigint,
  inclusive: boolean | undefined,
): string {
  const value = Number(bound);
  switch (origin) {
    case 'string':
      return `must be ${words} ${value} characters long`;
    case 'array':
      return `must have ${words} ${value} items`;
    default:
      return `must be ${inclusive === false ? exclusiveSign : inclusiveSign} ${value}`;
  }
}

/** The closest candidate within a small edit distance: a hint for typos. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length * 0.45)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase(), bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: a swap of two neighbours counts as one edit. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        (rows[i - 1]![j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (rows[i - 1]![j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (rows[i - 2]![j - 2] ?? 0) + 1);
      }
      row.push(distance);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length] ?? cap;
}
