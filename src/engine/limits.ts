/**
 * Bounds on everything the engine stores or computes per command (DESIGN.md rule 8). Past a
 * limit a command is rejected with LIMIT_EXCEEDED, or the workflow fails with a named code; never
 * an unbounded write. src/config checks these when it loads them.
 */
export interface EngineLimits {
  /** Largest encoded command accepted by `apply`. */
  readonly maxCommandBytes: number;
  /** Largest workflow input, task output, signal payload, or failure details (canonical JSON). */
  readonly maxPayloadBytes: number;
  /** Largest instance state record (variables, outputs, running steps) after a command. */
  readonly maxInstanceStateBytes: number;
  /** Steps (tasks of every kind, compensations included) one instance may start in its life. */
  readonly maxStepsPerInstance: number;
  /** Events kept per instance; older ones are dropped and the history says how many. */
  readonly maxHistoryEvents: number;
  /**
   * Largest stored history event; payload fields (input, output, payload, vars, http, details) of
   * a larger one are replaced by a marker with their size. The instance state keeps the values.
   */
  readonly maxHistoryEventBytes: number;
  /** Signals buffered for a wait that has not been reached yet, per instance. */
  readonly maxBufferedSignals: number;
  /** Tasks one ActivateTasks command may lease. */
  readonly maxTasksPerActivation: number;
  /** Items one foreach may fan out over. */
  readonly maxForeachItems: number;
  /** Depth of subworkflow nesting (a workflow that starts itself stops here). */
  readonly maxSubworkflowDepth: number;
  /** Closed instances one PruneClosed command may delete. */
  readonly maxPrunePerCommand: number;
  /** Keys one pruned instance may own (history + tasks + timers) that prune deletes in one go. */
  readonly maxKeysPerPrunedInstance: number;
  /** Results a query returns in one page. */
  readonly maxQueryPageSize: number;
  /** Definitions whose parsed form the engine keeps in memory (a cache; state is on disk). */
  readonly definitionCacheSize: number;
  /** Expression evaluation bounds handed to the evaluator. */
  readonly expressionTimeoutSteps: number;
  readonly expressionMaxOutputBytes: number;
  /** Default lease for ActivateTasks when the task's startToClose is not smaller. */
  readonly maxLeaseMs: number;
}

export const DEFAULT_ENGINE_LIMITS: EngineLimits = {
  maxCommandBytes: 4 * 1024 * 1024,
  maxPayloadBytes: 256 * 1024,
  maxInstanceStateBytes: 2 * 1024 * 1024,
  maxStepsPerInstance: 10_000,
  maxHistoryEvents: 2_000,
  maxHistoryEventBytes: 16 * 1024,
  maxBufferedSignals: 100,
  maxTasksPerActivation: 100,
  maxForeachItems: 1_000,
  maxSubworkflowDepth: 8,
  maxPrunePerCommand: 100,
  maxKeysPerPrunedInstance: 50_000,
  maxQueryPageSize: 1_000,
  definitionCacheSize: 256,
  expressionTimeoutSteps: 100_000,
  expressionMaxOutputBytes: 256 * 1024,
  maxLeaseMs: 24 * 60 * 60 * 1000,
};
