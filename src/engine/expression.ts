import jsonata from 'jsonata';
import { BatonError } from '../lib/errors.ts';
import { assert } from '../lib/assert.ts';
import { SeededRng } from '../lib/rng.ts';
import type { ExpressionScope, JsonValue, Template } from './definition/types.ts';

/**
 * The one expression language of workflows: JSONata 2.x, made deterministic and bounded.
 *
 * The engine evaluates expressions while applying committed log entries on every node, so an
 * evaluation must give byte-identical results everywhere (DESIGN.md rule 3) and must always end
 * (rule 8). Hence:
 * - `$now()`, `$millis()` and the date parser's "current date" defaults read `context.nowMs`,
 *   the timestamp the leader put in the command; `$random()` and `$shuffle()` draw from a
 *   SeededRng seeded with `context.seed`; `$toMillis` reads a zone-less ISO date-time as UTC
 *   (Date.parse would use the node's local zone); `$eval` is removed (it would compile
 *   unchecked source at run time).
 * - Work is counted in evaluation steps (one per AST node evaluated, plus one per 16 items of a
 *   list and per 256 characters of a string a node yields), recursion in evaluation depth,
 *   values in length: all deterministic, unlike jsonata's wall-clock `timeout`. `$distinct` is
 *   replaced by a linear one (jsonata's compares every pair).
 * - Known gap: a value nested thousands of levels deep (built by `$reduce`) can exhaust the
 *   stack inside jsonata (`=`, `$string`); that is caught and reported as DEPTH_LIMIT, which is
 *   deterministic only across nodes running the same Node binary with the same stack size.
 * - Regular expressions with a quantified group that itself holds a quantifier (`(a+)+`) are
 *   rejected at compile time, and a regex never runs over a string longer than
 *   MAX_REGEX_INPUT_LENGTH: backtracking must not hang the apply loop.
 * - The result is copied into plain JSON (no sequences, no functions, no shared structure) and
 *   its serialized size is bounded.
 */

export interface ExpressionContext {
  /** Epoch milliseconds of the command being applied (chosen by the leader). */
  readonly nowMs: number;
  /** Seed of `$random()` / `$shuffle()` for this evaluation (chosen by the leader). */
  readonly seed: number;
}

export interface ExpressionLimits {
  /** AST nodes evaluated, in total. */
  readonly maxSteps: number;
  /** Nesting of evaluation (recursion of functions, nested expressions). */
  readonly maxDepth: number;
  /** Serialized UTF-8 bytes of the result (as JSON). */
  readonly maxOutputBytes: number;
  /** Length of any intermediate string (UTF-16 units) or array. */
  readonly maxValueLength: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = {
  maxSteps: 100_000,
  maxDepth: 400,
  maxOutputBytes: 1024 * 1024,
  maxValueLength: 1024 * 1024,
};

/** Compiled expressions kept for reuse, least recently used evicted first. */
export const MAX_CACHED_EXPRESSIONS = 2000;
/** Longest expression source accepted. */
export const MAX_EXPRESSION_SOURCE_LENGTH = 16 * 1024;
/** Longest string a regular expression is run against. */
export const MAX_REGEX_INPUT_LENGTH = 100_000;
/** Longest sequence jsonata may build internally (its own `sequence` guard). */
const MAX_SEQUENCE_LENGTH = 1_000_000;
/** Nesting of the result value. */
const MAX_RESULT_NESTING = 200;

export type ExpressionFailure =
  'SYNTAX' | 'UNSAFE' | 'EVALUATION' | 'STEP_LIMIT' | 'DEPTH_LIMIT' | 'SIZE_LIMIT' | 'NOT_JSON';

/** An expression did not compile, failed while evaluating, or exceeded a limit. */
export class ExpressionError extends BatonError {
  override readonly name = 'ExpressionError';
  readonly failure: ExpressionFailure;
  /** The expression's source. */
  readonly expression: string;
  /** Character offset in the source where jsonata located the problem, when it did. */
  readonly position: number | undefined;
  /** jsonata's own error code (S0201, T2001 …), when the error came from jsonata. */
  readonly jsonataCode: string | undefined;
  /** The message without the expression quoted: what went wrong, for embedding in a path. */
  readonly reason: string;

  constructor(
    failure: ExpressionFailure,
    expression: string,
    reason: string,
    details: { position?: number; jsonataCode?: string; cause?: unknown } = {},
  ) {
    const limit = failure === 'STEP_LIMIT' || failure === 'DEPTH_LIMIT' || failure === 'SIZE_LIMIT';
    const where = details.position === undefined ? '' : ` at position ${details.position}`;
    const code = details.jsonataCode === undefined ? '' : ` (${details.jsonataCode})`;
    super(
      limit ? 'RESOURCE_EXHAUSTED' : 'INVALID_ARGUMENT',
      `expression ${quote(expression)}: ${reason}${where}${code}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.failure = failure;
    this.expression = expression;
    this.position = details.position;
    this.jsonataCode = details.jsonataCode;
    this.reason = `${reason}${where}${code}`;
  }
}

/** A parsed expression, ready to evaluate any number of times. Immutable; safe to share. */
export interface CompiledExpression {
  readonly source: string;
  /** @internal */
  readonly program: jsonata.Expression;
}

/** What an expression can read as `$`. */
export type ExpressionInput = ExpressionScope | JsonValue;

// ---------------------------------------------------------------------------------------------
// Compilation

const cache = new Map<string, CompiledExpression>();

/**
 * Parses `source` (a leading `=` is accepted and stripped) once; later calls with the same
 * source return the cached result. Throws ExpressionError (SYNTAX or UNSAFE).
 */
export function compileExpression(source: string): CompiledExpression {
  const cached = cache.get(source);
  if (cached !== undefined) {
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    cache.delete(source);
    cache.set(source, cached);
    return cached;
  }
  const compiled = compileUncached(source);
  cache.set(source, compiled);
  if (cache.size > MAX_CACHED_EXPRESSIONS) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  return compiled;
}

/** Removes a leading `=` and surrounding white space: `"= a.b "` → `"a.b"`. */
export function normalizeExpressionSource(source: string): string {
  const trimmed = source.trim();
  return trimmed.startsWith('=') ? trimmed.slice(1).trim() : trimmed;
}

function compileUncached(rawSource: string): CompiledExpression {
  const source = normalizeExpressionSource(rawSource);
  if (source.length === 0) throw new ExpressionError('SYNTAX', rawSource, 'is empty');
  if (source.length > MAX_EXPRESSION_SOURCE_LENGTH) {
    throw new ExpressionError(
      'SIZE_LIMIT',
      source,
      `is ${source.length} characters long, longer than the limit of ${MAX_EXPRESSION_SOURCE_LENGTH}`,
    );
  }
  let program: jsonata.Expression;
  try {
    program = jsonata(source, {
      sequence: MAX_SEQUENCE_LENGTH,
      RegexEngine: BoundedRegExp as unknown as RegExpConstructor,
    });
  } catch (error) {
    throw wrapJsonataError('SYNTAX', source, error);
  }
  checkSafety(source, program.ast());
  installDeterministicLibrary(program);
  return { source, program };
}

/** Static checks on the AST: no `$eval`, no regular expressions that backtrack exponentially. */
function checkSafety(source: string, root: jsonata.ExprNode): void {
  walkAst(root, (node) => {
    const value: unknown = node.value;
    if ((node.type as string) === 'regex' && value instanceof RegExp) {
      const problem = regexProblem(value.source);
      if (problem !== undefined) {
        throw new ExpressionError(
          'UNSAFE',
          source,
          `regular expression /${value.source}/ ${problem}`,
          {
            ...(node.position === undefined ? {} : { position: node.position }),
          },
        );
      }
    }
    if (node.type === 'variable' && value === 'eval') {
      throw new ExpressionError(
        'UNSAFE',
        source,
        '$eval is not available in workflow expressions',
        {
          ...(node.position === undefined ? {} : { position: node.position }),
        },
      );
    }
  });
}

/** Calls `visit` on every node of a jsonata AST (generic: follows every object-valued field). */
export function walkAst(root: jsonata.ExprNode, visit: (node: jsonata.ExprNode) => void): void {
  const stack: unknown[] = [root];
  // A source of MAX_EXPRESSION_SOURCE_LENGTH characters cannot have more nodes than this.
  let budget = MAX_EXPRESSION_SOURCE_LENGTH * 8;
  while (stack.length > 0) {
    assert(budget-- > 0, 'jsonata AST walk exceeded its bound');
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (const child of item) stack.push(child);
      continue;
    }
    if (item === null || typeof item !== 'object' || item instanceof RegExp) continue;
    const node = item as jsonata.ExprNode;
    if (typeof node.type === 'string') visit(node);
    for (const [key, child] of Object.entries(node)) {
      if (key === 'value' || key === 'position' || key === 'type') continue;
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
}

/**
 * Rejects patterns with a quantified group whose body is itself quantified (`(a+)+`, `(a*b?)*`):
 * the classic exponential-backtracking shape. A heuristic, not a proof; together with
 * MAX_REGEX_INPUT_LENGTH it keeps matching bounded in practice.
 */
export function regexProblem(pattern: string): string | undefined {
  // For each open group: did its body contain a quantifier?
  const groups: boolean[] = [];
  let lastGroupHadQuantifier = false;
  let previousWasGroupEnd = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (/[1-9]/.test(pattern[i + 1] ?? '')) return 'uses a back-reference, which is not allowed';
      i++;
      previousWasGroupEnd = false;
      continue;
    }
    if (ch === '[') {
      // Skip a character class; quantifiers inside it are literal.
      i++;
      while (i < pattern.length && pattern[i] !== ']') {
        if (pattern[i] === '\\') i++;
        i++;
      }
      previousWasGroupEnd = false;
      continue;
    }
    if (ch === '(') {
      groups.push(false);
      previousWasGroupEnd = false;
      continue;
    }
    if (ch === ')') {
      lastGroupHadQuantifier = groups.pop() ?? false;
      previousWasGroupEnd = true;
      continue;
    }
    const quantifier =
      ch === '*' ||
      ch === '+' ||
      ch === '?' ||
      (ch === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (quantifier) {
      const repeats =
        ch !== '?' &&
        !/^\{\d+\}/.test(pattern.slice(i)) &&
        !/^\{[01](,[01])?\}/.test(pattern.slice(i));
      if (previousWasGroupEnd && lastGroupHadQuantifier && repeats) {
        return 'repeats a group that itself repeats (like (a+)+), which can take exponential time; rewrite it without the nested repetition';
      }
      if (groups.length > 0) groups[groups.length - 1] = true;
      if (previousWasGroupEnd && lastGroupHadQuantifier && groups.length > 0) {
        groups[groups.length - 1] = true;
      }
      if (ch === '{') i = pattern.indexOf('}', i);
      previousWasGroupEnd = false;
      continue;
    }
    if (previousWasGroupEnd && lastGroupHadQuantifier && groups.length > 0) {
      groups[groups.length - 1] = true;
    }
    previousWasGroupEnd = false;
  }
  return undefined;
}

/** A RegExp that refuses to run over very long strings (see MAX_REGEX_INPUT_LENGTH). */
class BoundedRegExp extends RegExp {
  override exec(text: string): RegExpExecArray | null {
    if (text.length > MAX_REGEX_INPUT_LENGTH) {
      throw new LimitExceeded(
        'SIZE_LIMIT',
        `a regular expression was applied to a string of ${text.length} characters, longer than the limit of ${MAX_REGEX_INPUT_LENGTH}`,
      );
    }
    return super.exec(text);
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation state: jsonata exposes no per-evaluation hook, but its evaluator calls the
// `__evaluate_entry` callback synchronously, inside `program.evaluate()`, before the first await.
// `evaluateExpression` parks its state in `pendingState` just before that call; the callback
// takes it, attaches it to the evaluation's root environment, replaces jsonata's (wall-clock)
// guardrails with a step/depth counter, and unbinds itself so that later nodes pay nothing.

interface EvaluationState {
  readonly context: ExpressionContext;
  readonly limits: ExpressionLimits;
  readonly rng: SeededRng;
  steps: number;
}

/** The evaluation root frame of jsonata (internal shape, only the fields we touch). */
interface JsonataFrame {
  bind(name: string | symbol, value: unknown): void;
  lookup(name: string | symbol): unknown;
  base: JsonataFrame;
  depth: number;
  timestamp: Date | null;
  guardrails: () => void;
}

interface JsonataFocus {
  readonly environment: JsonataFrame;
  readonly input: unknown;
}

class LimitExceeded extends Error {
  constructor(
    readonly failure: 'STEP_LIMIT' | 'DEPTH_LIMIT' | 'SIZE_LIMIT',
    message: string,
  ) {
    super(message);
  }
}

const ENTRY_HOOK = Symbol.for('jsonata.__evaluate_entry');
const EXIT_HOOK = Symbol.for('jsonata.__evaluate_exit');
let pendingState: EvaluationState | undefined;
const states = new WeakMap<JsonataFrame, EvaluationState>();

function stateOf(frame: JsonataFrame): EvaluationState {
  const state = states.get(frame.base);
  assert(state !== undefined, 'jsonata evaluation without Baton evaluation state');
  return state;
}

function onFirstEntry(_expr: unknown, _input: unknown, environment: JsonataFrame): void {
  const state = pendingState;
  pendingState = undefined;
  assert(state !== undefined, 'jsonata evaluation started outside evaluateExpression');
  const base = environment.base;
  states.set(base, state);
  // The date parser fills unspecified components from this timestamp.
  base.timestamp = new Date(state.context.nowMs);
  const { maxSteps, maxDepth } = state.limits;
  base.guardrails = (): void => {
    state.steps++;
    if (state.steps > maxSteps) {
      throw new LimitExceeded('STEP_LIMIT', `took more than ${maxSteps} evaluation steps`);
    }
    if (base.depth > maxDepth) {
      throw new LimitExceeded(
        'DEPTH_LIMIT',
        `nested deeper than ${maxDepth} levels (unbounded recursion?)`,
      );
    }
  };
  base.bind(ENTRY_HOOK, undefined);
}

/**
 * Values are charged by size as well as by node: one step per ARRAY_ITEMS_PER_STEP items of an
 * array and per STRING_UNITS_PER_STEP characters of a string that an AST node yields. An
 * operation over a large list (`x in $list`, `$string($list)`) then costs in proportion to the
 * list, so a bounded number of steps bounds the work, not only the node count.
 */
const ARRAY_ITEMS_PER_STEP = 16;
const STRING_UNITS_PER_STEP = 256;

function charge(state: EvaluationState, steps: number): void {
  state.steps += steps;
  if (state.steps > state.limits.maxSteps) {
    throw new LimitExceeded(
      'STEP_LIMIT',
      `took more than ${state.limits.maxSteps} evaluation steps`,
    );
  }
}

function onExit(_expr: unknown, _input: unknown, environment: JsonataFrame, result: unknown): void {
  if (typeof result !== 'string' && !Array.isArray(result)) return;
  const state = stateOf(environment);
  const { maxValueLength } = state.limits;
  const isString = typeof result === 'string';
  if (result.length > maxValueLength) {
    throw new LimitExceeded(
      'SIZE_LIMIT',
      isString
        ? `built a string of ${result.length} characters, longer than the limit of ${maxValueLength}`
        : `built a list of ${result.length} items, longer than the limit of ${maxValueLength}`,
    );
  }
  const steps = Math.floor(
    result.length / (isString ? STRING_UNITS_PER_STEP : ARRAY_ITEMS_PER_STEP),
  );
  if (steps > 0) charge(state, steps);
}

type Builtin = (this: JsonataFocus, ...args: unknown[]) => unknown;

/**
 * jsonata's own implementations of the functions we wrap. The library does not export them; its
 * entry hook sees the evaluation environment synchronously, where they are still unshadowed.
 */
function captureBuiltins(): { fromMillis: Builtin; toMillis: Builtin; pad: Builtin } {
  const probe = jsonata('null');
  let captured: { fromMillis: Builtin; toMillis: Builtin; pad: Builtin } | undefined;
  const assign = probe.assign.bind(probe) as unknown as (
    name: string | symbol,
    value: unknown,
  ) => void;
  assign(ENTRY_HOOK, (_expr: unknown, _input: unknown, environment: JsonataFrame) => {
    const get = (name: string): Builtin => {
      const fn = environment.lookup(name) as { implementation?: Builtin } | undefined;
      assert(typeof fn?.implementation === 'function', `jsonata has no built-in $${name}`);
      return fn.implementation;
    };
    captured = { fromMillis: get('fromMillis'), toMillis: get('toMillis'), pad: get('pad') };
  });
  probe.evaluate(null).catch(() => undefined);
  assert(captured !== undefined, 'jsonata did not call its entry hook synchronously');
  return captured;
}

const BUILTINS = captureBuiltins();

const ZONED_OR_DATE_ONLY = /(Z|[+-]\d\d:?\d\d)$|^\d{4}(-\d\d(-\d\d)?)?$/;

/** The functions we replace, by name. */
const DETERMINISTIC_FUNCTION_NAMES = [
  'now',
  'millis',
  'random',
  'shuffle',
  'toMillis',
  'pad',
  'distinct',
] as const;

/**
 * Our replacements as jsonata function objects (implementation + parsed signature), built once:
 * registering them on every compiled expression would re-parse six signatures per compile.
 */
const DETERMINISTIC_FUNCTIONS = buildDeterministicFunctions();

function buildDeterministicFunctions(): ReadonlyMap<string, unknown> {
  const probe = jsonata('null');
  registerDeterministicFunctions(probe);
  const functions = new Map<string, unknown>();
  const assign = probe.assign.bind(probe) as unknown as (
    name: string | symbol,
    value: unknown,
  ) => void;
  assign(ENTRY_HOOK, (_expr: unknown, _input: unknown, environment: JsonataFrame) => {
    for (const name of DETERMINISTIC_FUNCTION_NAMES) functions.set(name, environment.lookup(name));
  });
  probe.evaluate(null).catch(() => undefined);
  assert(
    functions.size === DETERMINISTIC_FUNCTION_NAMES.length,
    'jsonata did not call its entry hook synchronously',
  );
  return functions;
}

function installDeterministicLibrary(program: jsonata.Expression): void {
  const assign = program.assign.bind(program) as unknown as (
    name: string | symbol,
    value: unknown,
  ) => void;
  assign(ENTRY_HOOK, onFirstEntry);
  assign(EXIT_HOOK, onExit);
  for (const [name, fn] of DETERMINISTIC_FUNCTIONS) assign(name, fn);
}

function registerDeterministicFunctions(program: jsonata.Expression): void {
  const register = program.registerFunction.bind(program) as unknown as (
    name: string,
    implementation: (this: JsonataFocus, ...args: never[]) => unknown,
    signature: string,
  ) => void;
  register(
    'now',
    function (this: JsonataFocus, picture?: string, timezone?: string): unknown {
      const { nowMs } = stateOf(this.environment).context;
      return BUILTINS.fromMillis.call(this, nowMs, picture, timezone);
    },
    '<s?s?:s>',
  );
  register(
    'millis',
    function (this: JsonataFocus): number {
      return stateOf(this.environment).context.nowMs;
    },
    '<:n>',
  );
  register(
    'random',
    function (this: JsonataFocus): number {
      return stateOf(this.environment).rng.next();
    },
    '<:n>',
  );
  register(
    'shuffle',
    function (this: JsonataFocus, list?: unknown): unknown {
      if (list === undefined) return undefined;
      const result = Array.isArray(list) ? [...(list as unknown[])] : [list];
      const rng = stateOf(this.environment).rng;
      for (let i = result.length - 1; i > 0; i--) {
        const j = rng.int(0, i + 1);
        const swap = result[i];
        result[i] = result[j];
        result[j] = swap;
      }
      return result;
    },
    '<a:a>',
  );
  register(
    'toMillis',
    function (this: JsonataFocus, timestamp?: string, picture?: string): unknown {
      let text = timestamp;
      if (text !== undefined && picture === undefined && !ZONED_OR_DATE_ONLY.test(text.trim())) {
        text = `${text.trim()}Z`;
      }
      return BUILTINS.toMillis.call(this, text, picture);
    },
    '<s-s?:n>',
  );
  register(
    'pad',
    function (this: JsonataFocus, text?: string, width?: number, padding?: string): unknown {
      const { maxValueLength } = stateOf(this.environment).limits;
      if (width !== undefined && Math.abs(width) > maxValueLength) {
        throw new LimitExceeded(
          'SIZE_LIMIT',
          `$pad to ${width} characters exceeds the limit of ${maxValueLength}`,
        );
      }
      return BUILTINS.pad.call(this, text, width, padding);
    },
    '<s-ns?:s>',
  );
  // jsonata's $distinct compares every pair (quadratic: minutes for 20 000 objects); this one
  // keys each value by its canonical text, with the same equality (deep, key order ignored).
  register(
    'distinct',
    function (this: JsonataFocus, list?: unknown): unknown {
      if (!Array.isArray(list) || list.length <= 1) return list;
      const state = stateOf(this.environment);
      const seen = new Set<string>();
      const result: unknown[] = [];
      let textUnits = 0;
      for (const item of list as unknown[]) {
        const key = distinctKey(item);
        textUnits += key.length;
        if (seen.has(key)) continue;
        seen.add(key);
        result.push(item);
      }
      charge(state, Math.floor(textUnits / STRING_UNITS_PER_STEP));
      if ((list as { sequence?: unknown }).sequence === true) {
        (result as unknown as { sequence: boolean }).sequence = true;
      }
      return result;
    },
    '<x:x>',
  );
}

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

/** Text equal for deep-equal values (object key order ignored), distinct otherwise. */
function distinctKey(value: unknown, depth = 0): string {
  if (depth > MAX_RESULT_NESTING) {
    throw new LimitExceeded(
      'SIZE_LIMIT',
      `$distinct over values nested deeper than ${MAX_RESULT_NESTING} levels`,
    );
  }
  if (value === undefined) return 'u';
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function') return functionKey(value);
    return JSON.stringify(value);
  }
  if (isJsonataFunction(value)) return functionKey(value);
  if (Array.isArray(value))
    return `[${value.map((item) => distinctKey(item, depth + 1)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${distinctKey(record[key], depth + 1)}`).join(',')}}`;
}

/** Functions are equal only to themselves; the id never leaves this process's evaluation. */
function functionKey(value: object): string {
  let id = functionIds.get(value);
  if (id === undefined) {
    id = nextFunctionId++;
    functionIds.set(value, id);
  }
  return `f${id}`;
}

/**
 * Evaluates a compiled expression against `input` (the scope, as `$`). Deterministic: the same
 * compiled source, input, context and limits give the same result on every node. Returns plain
 * JSON, or undefined when the expression yields nothing. Throws ExpressionError.
 *
 * Do not pass frozen objects: jsonata marks arrays it returns with internal flags.
 */
export async function evaluateExpression(
  compiled: CompiledExpression,
  input: ExpressionInput,
  context: ExpressionContext,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
): Promise<JsonValue | undefined> {
  const state: EvaluationState = { context, limits, rng: new SeededRng(context.seed), steps: 0 };
  let raw: unknown;
  assert(pendingState === undefined, 'a previous jsonata evaluation did not claim its state');
  pendingState = state;
  let running: Promise<unknown>;
  try {
    running = compiled.program.evaluate(input);
  } finally {
    // The entry hook ran synchronously inside evaluate() and took the state; if it did not
    // (jsonata threw first), drop it so the next evaluation starts clean.
    pendingState = undefined;
  }
  try {
    raw = await running;
  } catch (error) {
    throw wrapEvaluationError(compiled.source, error);
  }
  return toPlainJson(compiled.source, raw, limits.maxOutputBytes);
}

/** Evaluates a template (see definition/types.ts): `=`-strings are expressions, the rest literal. */
export async function evaluateTemplate(
  template: Template,
  input: ExpressionInput,
  context: ExpressionContext,
  limits: ExpressionLimits = DEFAULT_EXPRESSION_LIMITS,
): Promise<JsonValue> {
  const value = await evaluateTemplateValue(template, input, context, limits);
  const result = value ?? null;
  return toPlainJson('(template)', result, limits.maxOutputBytes) ?? null;
}

async function evaluateTemplateValue(
  template: Template,
  input: ExpressionInput,
  context: ExpressionContext,
  limits: ExpressionLimits,
): Promise<JsonValue | undefined> {
  if (typeof template === 'string') {
    const kind = templateStringKind(template);
    if (kind === 'literal') return template;
    if (kind === 'escaped') return template.slice(1);
    return evaluateExpression(compileExpression(template), input, context, limits);
  }
  if (Array.isArray(template)) {
    const items: JsonValue[] = [];
    for (const item of template) {
      items.push((await evaluateTemplateValue(item, input, context, limits)) ?? null);
    }
    return items;
  }
  if (template !== null && typeof template === 'object') {
    const result: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(template)) {
      const value = await evaluateTemplateValue(item, input, context, limits);
      if (value !== undefined) setOwn(result, key, value);
    }
    return result;
  }
  return template;
}

/** How a string inside a template is read: `=x` expression, `==x` literal `=x`, else literal. */
export function templateStringKind(text: string): 'expression' | 'escaped' | 'literal' {
  if (text.startsWith('==')) return 'escaped';
  if (text.startsWith('=')) return 'expression';
  return 'literal';
}

/**
 * JSONata's truthiness ($boolean): used for `when` and `while`. Arrays are true when any member
 * is; objects when non-empty; strings when non-empty; numbers when non-zero.
 */
export function isTruthy(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some((item) => isTruthy(item));
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  return Object.keys(value).length > 0;
}

// ---------------------------------------------------------------------------------------------
// Results

/**
 * Copies a jsonata result into plain JSON, counting serialized bytes as it goes so that a value
 * with shared structure (small in memory, huge as JSON) fails fast instead of exhausting memory.
 */
function toPlainJson(
  source: string,
  value: unknown,
  maxOutputBytes: number,
): JsonValue | undefined {
  let bytes = 0;
  const charge = (amount: number): void => {
    bytes += amount;
    if (bytes > maxOutputBytes) {
      throw new ExpressionError(
        'SIZE_LIMIT',
        source,
        `result is larger than ${maxOutputBytes} bytes as JSON`,
      );
    }
  };
  const copy = (item: unknown, depth: number): JsonValue | undefined => {
    if (depth > MAX_RESULT_NESTING) {
      throw new ExpressionError(
        'SIZE_LIMIT',
        source,
        `result is nested deeper than ${MAX_RESULT_NESTING} levels`,
      );
    }
    if (item === undefined) return undefined;
    if (item === null) {
      charge(4);
      return null;
    }
    switch (typeof item) {
      case 'boolean':
        charge(item ? 4 : 5);
        return item;
      case 'number':
        if (!Number.isFinite(item)) {
          throw new ExpressionError(
            'NOT_JSON',
            source,
            `result contains the number ${item}, which JSON cannot hold`,
          );
        }
        charge(String(item).length);
        return item;
      case 'string':
        charge(utf8Length(item) + 2);
        return item;
      case 'function':
        throw new ExpressionError(
          'NOT_JSON',
          source,
          'result contains a function, which JSON cannot hold',
        );
      case 'object': {
        if (Array.isArray(item)) {
          charge(2);
          const result: JsonValue[] = [];
          for (const element of item) {
            charge(1);
            result.push(copy(element, depth + 1) ?? null);
          }
          return result;
        }
        if (isJsonataFunction(item)) {
          throw new ExpressionError(
            'NOT_JSON',
            source,
            'result contains a function, which JSON cannot hold',
          );
        }
        charge(2);
        const result: { [key: string]: JsonValue } = {};
        for (const [key, element] of Object.entries(item as Record<string, unknown>)) {
          const copied = copy(element, depth + 1);
          if (copied === undefined) continue;
          charge(utf8Length(key) + 4);
          setOwn(result, key, copied);
        }
        return result;
      }
      case 'bigint':
      case 'symbol':
      case 'undefined':
        break;
    }
    throw new ExpressionError(
      'NOT_JSON',
      source,
      `result contains a ${typeof item}, which JSON cannot hold`,
    );
  };
  return copy(value, 0);
}

function isJsonataFunction(value: object): boolean {
  const record = value as Record<string, unknown>;
  return record._jsonata_lambda === true || record._jsonata_function === true;
}

/**
 * `record[key] = value` that also works for the key `__proto__` (legal in JSON): plain
 * assignment would change the object's prototype and drop the field.
 */
export function setOwn<T>(record: { [key: string]: T }, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    record[key] = value;
  }
}

/** Bytes of `text` in UTF-8, without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Errors

function wrapEvaluationError(source: string, error: unknown): ExpressionError {
  if (error instanceof ExpressionError) return error;
  if (error instanceof LimitExceeded)
    return new ExpressionError(error.failure, source, error.message);
  if (error instanceof RangeError) {
    return new ExpressionError('DEPTH_LIMIT', source, `exhausted the stack (${error.message})`, {
      cause: error,
    });
  }
  return wrapJsonataError('EVALUATION', source, error);
}

function wrapJsonataError(
  failure: 'SYNTAX' | 'EVALUATION',
  source: string,
  error: unknown,
): ExpressionError {
  const record = (error !== null && typeof error === 'object' ? error : {}) as Record<
    string,
    unknown
  >;
  const message =
    typeof record.message === 'string' && record.message.length > 0
      ? record.message
      : String(error);
  const details: { position?: number; jsonataCode?: string; cause?: unknown } = { cause: error };
  if (typeof record.position === 'number') details.position = record.position;
  if (typeof record.code === 'string') details.jsonataCode = record.code;
  return new ExpressionError(failure, source, message, details);
}

function quote(source: string): string {
  const maxShown = 120;
  const shown = source.length > maxShown ? `${source.slice(0, maxShown)}…` : source;
  return JSON.stringify(shown);
}
