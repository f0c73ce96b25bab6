/**
 * Validation of Workflow requests at the edge (DESIGN.md rule 9): ids, names, JSON payloads and
 * their sizes, enums. The engine validates again when it applies; this gives the caller a clear
 * INVALID_ARGUMENT before anything is proposed.
 */
import {
  DEFAULT_ENGINE_LIMITS,
  ID_PATTERN,
  INSTANCE_STATUSES,
  REUSE_POLICIES,
} from '../engine/index.ts';
import type { InstanceStatus, ReusePolicy } from '../engine/index.ts';
import type { JsonValue } from '../engine/index.ts';
import { ValidationError } from './errors.ts';

/** Largest JSON payload (input, output, signal payload, details) accepted. */
export const MAX_JSON_BYTES = DEFAULT_ENGINE_LIMITS.maxPayloadBytes;
/** Largest definition source accepted. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;
/** Longest name (definition, task type, signal, worker id). */
export const MAX_NAME_LENGTH = 256;
/** Most tasks one ActivateTasks call may ask for. */
export const MAX_TASKS_PER_ACTIVATION = DEFAULT_ENGINE_LIMITS.maxTasksPerActivation;

export function validateJson(
  field: string,
  text: string,
  emptyAs: JsonValue | undefined,
): JsonValue | undefined {
  if (text === '') return emptyAs;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_JSON_BYTES)
    throw new ValidationError(field, `is ${bytes} bytes; the limit is ${MAX_JSON_BYTES}`);
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new ValidationError(
      field,
      `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

export function validateName(field: string, value: string): string {
  if (value.length === 0) throw new ValidationError(field, 'must not be empty');
  if (value.length > MAX_NAME_LENGTH)
    throw new ValidationError(
      field,
      `is ${value.length} characters; the limit is ${MAX_NAME_LENGTH}`,
    );
  return value;
}

export function validateWorkflowId(field: string, value: string): string {
  if (!ID_PATTERN.test(value))
    throw new ValidationError(
      field,
      `"${value}" is not a workflow id (1-256 of A-Z a-z 0-9 . _ : -)`,
    );
  return value;
}

export function validateTaskId(field: string, value: string): string {
  if (value.length === 0 || value.length > 300)
    throw new ValidationError(
      field,
      'must be 1-300 characters (the task_id ActivateTasks returned)',
    );
  return value;
}

export function validateAttempt(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ValidationError('attempt', 'must be the attempt ActivateTasks returned (≥ 1)');
  return value;
}

export function validateSource(source: string): string {
  if (source.trim() === '') throw new ValidationError('source', 'the definition text is empty');
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_DEFINITION_BYTES)
    throw new ValidationError('source', `is ${bytes} bytes; the limit is ${MAX_DEFINITION_BYTES}`);
  return source;
}

export function validateFormat(format: string): 'json' | 'yaml' | 'auto' {
  const normalized = format.toLowerCase();
  if (normalized === '' || normalized === 'auto') return 'auto';
  if (normalized === 'yaml' || normalized === 'yml') return 'yaml';
  if (normalized === 'json') return 'json';
  throw new ValidationError('format', `"${format}" is not one of yaml, json (or empty to detect)`);
}

export function validateReusePolicy(value: string): ReusePolicy | undefined {
  if (value === '') return undefined;
  if ((REUSE_POLICIES as readonly string[]).includes(value)) return value as ReusePolicy;
  throw new ValidationError(
    'reuse_policy',
    `"${value}" is not one of ${REUSE_POLICIES.join(', ')}`,
  );
}

export function validateStatus(value: string): InstanceStatus | undefined {
  if (value === '') return undefined;
  const upper = value.toUpperCase();
  if ((INSTANCE_STATUSES as readonly string[]).includes(upper)) return upper as InstanceStatus;
  throw new ValidationError('status', `"${value}" is not one of ${INSTANCE_STATUSES.join(', ')}`);
}

export function validateMaxTasks(value: number): number {
  if (value === 0) return 1;
  if (value > MAX_TASKS_PER_ACTIVATION)
    throw new ValidationError('max_tasks', `is ${value}; the limit is ${MAX_TASKS_PER_ACTIVATION}`);
  return value;
}
