/**
 * The parsed, validated form of a workflow definition: what `parseDefinition` returns and what
 * the engine executes. Every default is already resolved (retry, timeouts, priority), every
 * expression already compiled once (it parses), every `ref` is unique across the whole
 * definition (compensations included). The engine may rely on all of it without re-checking.
 *
 * ## Expressions and templates
 *
 * `Expression` fields hold JSONata source (a leading `=` in the document is accepted and
 * stripped). `Template` fields hold any JSON value in which a string starting with `=` is an
 * expression (`"=input.orderId"`), `"=="` at the start escapes a literal `=`, and every other
 * value is a literal; objects and arrays are templates recursively (Zeebe's convention). Both
 * are evaluated against an `ExpressionScope` (below) as the JSONata input `$`, so expressions
 * read `input.orderId`, `vars.total`, `tasks.reserve.output.reservationId`, `item`, `result`.
 *
 * ## Outputs of tasks (what `tasks.<ref>.output` and `result` hold)
 * - worker: what the worker completed the task with; http: `{status, headers, body}`;
 * - subworkflow: the child's output; signal: the signal's payload; wait: null;
 * - set: the object of variables it set; transform: its expression's value;
 * - parallel: an array of the branches' outputs (each: its last task's output), in branch order
 *   (a branch that did not complete under a quorum join is null);
 * - foreach: an array of the iterations' outputs (each: its body's last task's output), in item
 *   order (null where an iteration did not complete under a quorum join);
 * - switch: the chosen tasks' last output (null when no case matched and no default);
 * - loop: the last iteration's last output.
 * Inside a foreach body `tasks.<ref>` refers to the current iteration's tasks, inside a loop
 * body to the current (else the previous) iteration's.
 */

/** Any JSON value. Numbers are finite. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** JSONata source, normalized (trimmed, leading `=` removed). Compiles. */
export type Expression = string;

/** A JSON value where `=`-prefixed strings are expressions (see the module comment). */
export type Template = JsonValue;

/** What every expression sees as `$`; the engine builds it. */
export interface ExpressionScope {
  /** The workflow instance's input. */
  readonly input: JsonValue;
  /** The instance's variables (set by `set` tasks and `assign` mappings). */
  readonly vars: JsonObject;
  /** Tasks that have run so far, by ref. */
  readonly tasks: { readonly [ref: string]: TaskScopeEntry };
  /** Inside a foreach body: the current item and its zero-based index. */
  readonly item?: JsonValue;
  readonly index?: number;
  /** Inside a loop body and in its `while`: the zero-based iteration number. */
  readonly iteration?: number;
  /** In a task's `assign` mapping: that task's output. */
  readonly result?: JsonValue;
  /** The workflow instance: id, business key, definition name and version. */
  readonly workflow?: {
    readonly id: string;
    readonly businessKey?: string;
    readonly name: string;
    readonly version: number;
  };
}

export interface TaskScopeEntry {
  readonly status: 'COMPLETED' | 'FAILED' | 'SKIPPED' | 'CANCELLED' | 'RUNNING';
  readonly output?: JsonValue;
  readonly error?: { readonly code: string; readonly message: string };
}

export type BackoffKind = 'fixed' | 'exponential';

/** Fully resolved retry policy (definition defaults merged into the task's own). */
export interface RetryPolicy {
  /** Attempts in total, the first included: 1 means no retry. 1..100. */
  readonly maxAttempts: number;
  readonly backoff: BackoffKind;
  /** Delay before the second attempt. */
  readonly initialIntervalMs: number;
  /** Cap on any delay. >= initialIntervalMs. */
  readonly maxIntervalMs: number;
  /** Growth per attempt for exponential backoff (>= 1; ignored for fixed). */
  readonly multiplier: number;
  /**
   * Fraction 0..1 of the delay that is randomized: delay * (1 - jitter * r), r in [0, 1) chosen by
   * the leader before proposing.
   */
  readonly jitter: number;
  /** Error codes reported by a worker (or http/subworkflow failure codes) that never retry. */
  readonly nonRetryableErrors: readonly string[];
}

/** Fully resolved timeouts; 0 means "no limit". */
export interface TaskTimeouts {
  /** From scheduled until a worker takes the attempt (queue wait). 0 = none. */
  readonly scheduleToStartMs: number;
  /** From taken until completed: the worker's lease for one attempt. Always > 0. */
  readonly startToCloseMs: number;
  /** Longest gap between heartbeats of a running attempt. 0 = none. Default: seconds. */
  readonly heartbeatMs: number;
}

export type JoinPolicy =
  | { readonly mode: 'all' }
  /** Completes once `count` branches/iterations completed; the rest are cancelled. Fails once it
   * can no longer reach `count`. 1 <= count <= number of branches (foreach: checked at run time). */
  | { readonly mode: 'quorum'; readonly count: number };

export type TaskType =
  | 'worker'
  | 'http'
  | 'parallel'
  | 'foreach'
  | 'switch'
  | 'loop'
  | 'subworkflow'
  | 'wait'
  | 'signal'
  | 'set'
  | 'transform'
  | 'terminate';

export const TASK_TYPES: readonly TaskType[] = [
  'worker',
  'http',
  'parallel',
  'foreach',
  'switch',
  'loop',
  'subworkflow',
  'wait',
  'signal',
  'set',
  'transform',
  'terminate',
];

/** Fields every task has. */
export interface TaskBase {
  /** Unique across the whole definition (nested tasks and compensations included). */
  readonly ref: string;
  readonly type: TaskType;
  readonly description?: string;
  /** The task's input (worker payload, subworkflow input); absent = no input (null). */
  readonly input?: Template;
  /**
   * After the task completes: variable name → expression over the scope with `result`. All of
   * them see the variables as they were before the task completed.
   */
  readonly assign?: { readonly [variable: string]: Expression };
  readonly retry: RetryPolicy;
  readonly timeouts: TaskTimeouts;
  /**
   * Saga: the task that undoes this one. When the workflow fails or is cancelled, compensations
   * of completed tasks run in reverse completion order. Never a `terminate`.
   */
  readonly compensation?: Task;
}

export interface WorkerTask extends TaskBase {
  readonly type: 'worker';
  /** The queue that workers poll. */
  readonly taskType: string;
  /** Higher runs first. 0..100, default 50. */
  readonly priority: number;
  /** Dispatch limit for this task type, tasks started per second; absent = unlimited. */
  readonly rateLimitPerSecond?: number;
  /** Dispatch limit for this task type, attempts running at once; absent = unlimited. */
  readonly concurrencyLimit?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface HttpTask extends TaskBase {
  readonly type: 'http';
  readonly method: HttpMethod;
  /** Evaluates to an http(s) URL string. */
  readonly url: Template;
  readonly headers: { readonly [name: string]: Template };
  /** The request body (JSON); absent = no body. */
  readonly body?: Template;
  /** Status codes that count as success; anything else fails with code `HTTP_<status>`. */
  readonly expectedStatus: readonly number[];
  /** One request's timeout (also the attempt's start-to-close). */
  readonly timeoutMs: number;
}

export interface ParallelTask extends TaskBase {
  readonly type: 'parallel';
  /** Static branches, each a sequence; at least one, each non-empty. */
  readonly branches: readonly (readonly Task[])[];
  readonly join: JoinPolicy;
}

export interface ForeachTask extends TaskBase {
  readonly type: 'foreach';
  /** Evaluates to an array (a non-array value is an error at run time). */
  readonly items: Expression;
  /** Iterations running at once. 1..maxForeachConcurrency. */
  readonly concurrency: number;
  /** Runs once per item with `item` and `index` in scope. */
  readonly body: readonly Task[];
  readonly join: JoinPolicy;
}

export interface SwitchCase {
  /** Truthy (JSONata boolean cast) selects this case; cases are tried in order. */
  readonly when: Expression;
  readonly tasks: readonly Task[];
}

export interface SwitchTask extends TaskBase {
  readonly type: 'switch';
  readonly cases: readonly SwitchCase[];
  /** Runs when no case matched; empty = nothing to do. */
  readonly default: readonly Task[];
}

export interface LoopTask extends TaskBase {
  readonly type: 'loop';
  /** do-while: the body runs, then `while` decides whether it runs again. */
  readonly body: readonly Task[];
  readonly while: Expression;
  /** Hard bound on iterations; reaching it fails the task with code LOOP_LIMIT. */
  readonly maxIterations: number;
}

export interface SubworkflowTask extends TaskBase {
  readonly type: 'subworkflow';
  /** The child definition's name. */
  readonly workflow: string;
  readonly version: number | 'latest';
}

export type WaitTask = WaitForDuration | WaitUntil;

export interface WaitForDuration extends TaskBase {
  readonly type: 'wait';
  readonly durationMs: number;
  readonly until?: undefined;
}

export interface WaitUntil extends TaskBase {
  readonly type: 'wait';
  /** Evaluates to epoch milliseconds or an ISO 8601 timestamp. */
  readonly until: Expression;
  readonly durationMs?: undefined;
}

export interface SignalTask extends TaskBase {
  readonly type: 'signal';
  /** The signal's name that a `Signal` command must carry. */
  readonly name: string;
  /** Fails with code SIGNAL_TIMEOUT when no signal arrived in time; absent = wait forever. */
  readonly timeoutMs?: number;
}

export interface SetTask extends TaskBase {
  readonly type: 'set';
  /**
   * Every expression sees the variables as they were before this task (a map has no order: the
   * canonical form sorts its keys). Validation rejects an expression that reads another variable
   * the same task sets, so evaluating them in any order gives the same result.
   */
  readonly variables: { readonly [variable: string]: Expression };
}

export interface TransformTask extends TaskBase {
  readonly type: 'transform';
  readonly expression: Expression;
}

export interface TerminateTask extends TaskBase {
  readonly type: 'terminate';
  readonly status: 'COMPLETED' | 'FAILED';
  /** The workflow's output; absent = the definition's output expression (or null). */
  readonly output?: Expression;
  readonly reason?: string;
}

export type Task =
  | WorkerTask
  | HttpTask
  | ParallelTask
  | ForeachTask
  | SwitchTask
  | LoopTask
  | SubworkflowTask
  | WaitTask
  | SignalTask
  | SetTask
  | TransformTask
  | TerminateTask;

/** A JSON-Schema subset for the workflow's input (validated by `validateJsonSchema`). */
export interface JsonSchema {
  readonly type?: JsonSchemaType | readonly JsonSchemaType[];
  readonly description?: string;
  readonly properties?: { readonly [name: string]: JsonSchema };
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly enum?: readonly JsonValue[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
}

export type JsonSchemaType =
  'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

export interface DefinitionDefaults {
  readonly retry: RetryPolicy;
  readonly timeouts: TaskTimeouts;
}

/** A validated definition. `version` is not part of it: the engine assigns versions. */
export interface Definition {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema?: JsonSchema;
  /** The workflow's output when it completes; absent = the last top-level task's output. */
  readonly output?: Expression;
  /** Whole-workflow timeout from start; 0 = none. Fails the workflow with code WORKFLOW_TIMEOUT. */
  readonly timeoutMs: number;
  readonly defaults: DefinitionDefaults;
  /** The top-level sequence; at least one task. */
  readonly tasks: readonly Task[];
}

/** One problem in a document, located by a path like `tasks[3].retry.maxAttempts`. */
export interface DefinitionIssue {
  readonly path: string;
  readonly message: string;
}

export type DefinitionFormat = 'json' | 'yaml' | 'auto';

/** Bounds on a definition (DESIGN.md rule 8). */
export interface DefinitionLimits {
  readonly maxDocumentBytes: number;
  readonly maxTasks: number;
  readonly maxNestingDepth: number;
  readonly maxRetryAttempts: number;
  readonly maxLoopIterations: number;
  readonly maxForeachConcurrency: number;
  readonly maxBranches: number;
  readonly maxDurationMs: number;
  readonly maxExpressionLength: number;
  readonly maxIssues: number;
  readonly maxIdentifierLength: number;
  readonly minPriority: number;
  readonly maxPriority: number;
}

export const DEFAULT_DEFINITION_LIMITS: DefinitionLimits = {
  maxDocumentBytes: 1024 * 1024,
  maxTasks: 1000,
  maxNestingDepth: 16,
  maxRetryAttempts: 100,
  maxLoopIterations: 10_000,
  maxForeachConcurrency: 1000,
  maxBranches: 100,
  maxDurationMs: 366 * 24 * 60 * 60 * 1000,
  maxExpressionLength: 16 * 1024,
  maxIssues: 50,
  maxIdentifierLength: 128,
  minPriority: 0,
  maxPriority: 100,
};

/** Retry when neither the task nor the definition's defaults say otherwise. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  backoff: 'exponential',
  initialIntervalMs: 1000,
  maxIntervalMs: 60_000,
  multiplier: 2,
  jitter: 0.2,
  nonRetryableErrors: [],
};

/** Heartbeats are short by default (seconds, not Conductor's ten minutes): a dead worker is noticed fast. */
export const DEFAULT_TIMEOUTS: TaskTimeouts = {
  scheduleToStartMs: 0,
  startToCloseMs: 5 * 60 * 1000,
  heartbeatMs: 30_000,
};

/** Worker priority when a task does not name one. */
export const DEFAULT_PRIORITY = 50;
