/**
 * The workflow engine's public face: the state machine, its commands and results, the queries
 * over its state, and the definition language. Import from here, not from the files behind it.
 */
export { WorkflowEngine, type EngineResult } from './engine.ts';
export {
  COMMAND_VERSION,
  REUSE_POLICIES,
  decodeCommand,
  encodeCommand,
  parseCommand,
  type Command,
  type CommandOf,
  type CommandType,
  type ReusePolicy,
  type TaskFailure,
} from './commands.ts';
export type { EngineEffect } from './context.ts';
export type { ActivatedTask, EngineResponse } from './handlers.ts';
export type { EngineEvent, EngineEventType, HistoryEvent } from './events.ts';
export { DEFAULT_ENGINE_LIMITS, type EngineLimits } from './limits.ts';
export {
  BadCommandError,
  CommandRejectedError,
  CorruptStateError,
  grpcCodeOfRejection,
  type EngineRejectionCode,
} from './errors.ts';
export {
  HTTP_TASK_TYPE,
  INSTANCE_STATUSES,
  isClosed,
  type ErrorInfo,
  type HttpRequestSpec,
  type InstanceState,
  type InstanceStatus,
  type TaskRecord,
  type TaskStatus,
  type TaskTypeSettings,
  type TimerPurpose,
  type TimerRecord,
} from './state.ts';
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  formatHistory,
  getDefinition,
  getHistory,
  getInstance,
  getInstanceState,
  getTask,
  getTaskTypeSettings,
  listDefinitionVersions,
  listDefinitions,
  listDueTimers,
  listInstances,
  listNextTimers,
  listReadyTasks,
  listTaskTypeSettings,
  scanReadyQueue,
  type CurrentTask,
  type DefinitionView,
  type HistoryPage,
  type InstancePage,
  type InstanceSummary,
  type InstanceView,
  type ListFilter,
} from './queries.ts';
export { ID_PATTERN, compareKeys, keys } from './keys.ts';
export { backoffDelayMs } from './backoff.ts';
export * from './definition/index.ts';
