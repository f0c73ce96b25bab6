import { z } from 'zod';
import { canonicalJson, tryDecodeJson, utf8 } from './codec.ts';
import { BadCommandError } from './errors.ts';
import { ID_PATTERN } from './keys.ts';

/**
 * Commands: what the leader proposes to the log. Each carries everything non-deterministic that
 * applying it needs, chosen by the leader before proposing: the time (`nowMs`), new ids, and a
 * random `seed` (retry jitter, expression `$random`). Encoded as canonical JSON with a version
 * field `v`; a decoder for a newer version rejects, it never guesses.
 */
export const COMMAND_VERSION = 1;

const id = z.string().regex(ID_PATTERN, 'must be 1..256 of A-Z a-z 0-9 . _ : -');
const name = z.string().min(1).max(256);
const nowMs = z.number().int().min(0).max(8.64e15);
const seed = z.number().int().min(0).max(0xffffffff);
const json = z.json();

export const REUSE_POLICIES = ['REJECT_DUPLICATE', 'RETURN_EXISTING', 'ALLOW_IF_CLOSED'] as const;
export type ReusePolicy = (typeof REUSE_POLICIES)[number];

const failure = z.strictObject({
  code: z.string().min(1).max(128),
  message: z.string().max(4096),
  /** false: do not retry whatever the policy says (a worker knows the order cannot be shipped). */
  retryable: z.boolean().optional(),
  details: json.optional(),
});
export type TaskFailure = z.infer<typeof failure>;

const schemas = {
  RegisterDefinition: z.strictObject({
    type: z.literal('RegisterDefinition'),
    source: z.string(),
    format: z.enum(['json', 'yaml', 'auto']),
    nowMs,
  }),
  StartWorkflow: z.strictObject({
    type: z.literal('StartWorkflow'),
    instanceId: id,
    definitionName: name,
    /** Absent: the latest version. */
    version: z.number().int().min(1).optional(),
    input: json.optional(),
    businessKey: z.string().min(1).max(256).optional(),
    reusePolicy: z.enum(REUSE_POLICIES).optional(),
    nowMs,
    seed,
  }),
  ActivateTasks: z.strictObject({
    type: z.literal('ActivateTasks'),
    taskType: name,
    workerId: z.string().min(1).max(256),
    maxTasks: z.number().int().min(1),
    nowMs,
  }),
  CompleteTask: z.strictObject({
    type: z.literal('CompleteTask'),
    taskId: z.string().min(1).max(300),
    attempt: z.number().int().min(1),
    output: json.optional(),
    nowMs,
    seed,
  }),
  FailTask: z.strictObject({
    type: z.literal('FailTask'),
    taskId: z.string().min(1).max(300),
    attempt: z.number().int().min(1),
    error: failure,
    nowMs,
    seed,
  }),
  HeartbeatTask: z.strictObject({
    type: z.literal('HeartbeatTask'),
    taskId: z.string().min(1).max(300),
    attempt: z.number().int().min(1),
    nowMs,
  }),
  /** A timer is due: a wait ends, a retry backoff ends, or a timeout (task or workflow) expires. */
  FireTimer: z.strictObject({
    type: z.literal('FireTimer'),
    timerId: z.string().min(1).max(300),
    nowMs,
    seed,
  }),
  Signal: z.strictObject({
    type: z.literal('Signal'),
    instanceId: id,
    name: name,
    payload: json.optional(),
    /** Optional caller-chosen id: a signal repeated with the same id is acknowledged, not applied. */
    signalId: z.string().min(1).max(128).optional(),
    nowMs,
    seed,
  }),
  CancelWorkflow: z.strictObject({
    type: z.literal('CancelWorkflow'),
    instanceId: id,
    reason: z.string().max(1024).optional(),
    nowMs,
    seed,
  }),
  TerminateWorkflow: z.strictObject({
    type: z.literal('TerminateWorkflow'),
    instanceId: id,
    reason: z.string().max(1024).optional(),
    nowMs,
  }),
  PauseWorkflow: z.strictObject({ type: z.literal('PauseWorkflow'), instanceId: id, nowMs }),
  ResumeWorkflow: z.strictObject({
    type: z.literal('ResumeWorkflow'),
    instanceId: id,
    nowMs,
    seed,
  }),
  /** Re-runs a FAILED instance from the top-level task that failed. */
  RetryWorkflow: z.strictObject({ type: z.literal('RetryWorkflow'), instanceId: id, nowMs, seed }),
  /** Runs a closed instance again from its first task with its original input. */
  RestartWorkflow: z.strictObject({
    type: z.literal('RestartWorkflow'),
    instanceId: id,
    nowMs,
    seed,
  }),
  /** Deletes instances closed before cutoffMs (the leader computes it from the retention). */
  PruneClosed: z.strictObject({
    type: z.literal('PruneClosed'),
    cutoffMs: nowMs,
    maxInstances: z.number().int().min(1),
    nowMs,
  }),
} as const;

const commandSchema = z.discriminatedUnion('type', [
  schemas.RegisterDefinition,
  schemas.StartWorkflow,
  schemas.ActivateTasks,
  schemas.CompleteTask,
  schemas.FailTask,
  schemas.HeartbeatTask,
  schemas.FireTimer,
  schemas.Signal,
  schemas.CancelWorkflow,
  schemas.TerminateWorkflow,
  schemas.PauseWorkflow,
  schemas.ResumeWorkflow,
  schemas.RetryWorkflow,
  schemas.RestartWorkflow,
  schemas.PruneClosed,
]);

export type Command = z.infer<typeof commandSchema>;
export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

/** What the API layer and the dispatcher call to build a proposal. */
export function encodeCommand(command: Command): Uint8Array {
  const parsed = parseCommand(command);
  return utf8(canonicalJson({ v: COMMAND_VERSION, ...parsed }));
}

/** Validates a command object; throws BadCommandError naming the field. */
export function parseCommand(value: unknown): Command {
  const result = commandSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue === undefined || issue.path.length === 0 ? 'command' : issue.path.join('.');
    throw new BadCommandError(`${path}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** Decodes the bytes of a committed command; throws BadCommandError (a rejection, not a crash). */
export function decodeCommand(bytes: Uint8Array, maxBytes: number): Command {
  if (bytes.length > maxBytes) {
    throw new BadCommandError(
      `command is ${bytes.length} bytes, more than the limit of ${maxBytes}`,
    );
  }
  const decoded = tryDecodeJson(bytes);
  if (!decoded.ok) throw new BadCommandError(`command is ${decoded.reason}`);
  const value = decoded.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadCommandError('command is not a JSON object');
  }
  const { v, ...rest } = value as Record<string, unknown>;
  if (v !== COMMAND_VERSION) {
    throw new BadCommandError(
      `command version ${String(v)} is not supported (expected ${COMMAND_VERSION})`,
    );
  }
  return parseCommand(rest);
}
