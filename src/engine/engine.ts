import { assert } from '../lib/assert.ts';
import type { ErrorCode } from '../lib/errors.ts';
import type { ApplyContext, KvView, StateMachine } from '../lib/state-machine.ts';
import { decodeCommand, type Command } from './commands.ts';
import { CommandContext, type EngineEffect, type PlanSource } from './context.ts';
import { parseDefinition } from './definition/parse.ts';
import type { Definition, DefinitionFormat } from './definition/types.ts';
import { CommandRejectedError, grpcCodeOfRejection, type EngineRejectionCode } from './errors.ts';
import * as flow from './flow.ts';
import * as handlers from './handlers.ts';
import type { EngineResponse } from './handlers.ts';
import { keys } from './keys.ts';
import { DEFAULT_ENGINE_LIMITS, type EngineLimits } from './limits.ts';
import { Plan } from './plan.ts';
import { isClosed, type StoredDefinition } from './state.ts';
import type { Tx } from './tx.ts';
import { Tx as CommandTx } from './tx.ts';

export type EngineResult =
  | { ok: true; response: EngineResponse; effects: EngineEffect[] }
  | { ok: false; code: EngineRejectionCode; grpcCode: ErrorCode; message: string };

/** Cross-instance follow-ups one command may cause (children closing, cancelling children). */
const MAX_NOTICES_PER_COMMAND = 10_000;

/**
 * The workflow engine as the replica's state machine. `apply` decodes a committed command,
 * decides it into events (or a rejection), applies them to state through a per-command Tx, and
 * flushes the Tx into the replica's view only when the command was accepted. Pure: everything
 * non-deterministic arrives inside the command; all state lives in the view.
 */
export class WorkflowEngine implements StateMachine<EngineResult> {
  readonly limits: EngineLimits;
  private readonly plans: CachedPlans;

  constructor(limits: Partial<EngineLimits> = {}) {
    this.limits = { ...DEFAULT_ENGINE_LIMITS, ...limits };
    this.plans = new CachedPlans(this.limits.definitionCacheSize);
  }

  async apply(command: Uint8Array, context: ApplyContext, view: KvView): Promise<EngineResult> {
    let decoded: Command;
    try {
      decoded = decodeCommand(command, this.limits.maxCommandBytes);
    } catch (error) {
      return rejection(error);
    }
    const tx = new CommandTx(view);
    const seed = 'seed' in decoded ? decoded.seed : 0;
    const ctx = new CommandContext(tx, this.plans, this.limits, context.index, decoded.nowMs, seed);
    let response: EngineResponse;
    try {
      response = await route(ctx, decoded);
      await drainNotices(ctx);
      response = await withSettledStatus(ctx, response);
      await ctx.flush();
    } catch (error) {
      return rejection(error);
    }
    tx.flushTo(view);
    return { ok: true, response, effects: ctx.effects };
  }
}

function rejection(error: unknown): EngineResult {
  if (error instanceof CommandRejectedError) {
    return {
      ok: false,
      code: error.rejection,
      grpcCode: grpcCodeOfRejection(error.rejection),
      message: error.message,
    };
  }
  throw error;
}

async function route(ctx: CommandContext, command: Command): Promise<EngineResponse> {
  switch (command.type) {
    case 'RegisterDefinition':
      return handlers.registerDefinition(ctx, command);
    case 'StartWorkflow':
      return handlers.startWorkflow(ctx, command);
    case 'ActivateTasks':
      return handlers.activateTasks(ctx, command);
    case 'CompleteTask':
      return handlers.completeTask(ctx, command);
    case 'FailTask':
      return handlers.failTask(ctx, command);
    case 'HeartbeatTask':
      return handlers.heartbeatTask(ctx, command);
    case 'FireTimer':
      return handlers.fireTimer(ctx, command);
    case 'Signal':
      return handlers.signal(ctx, command);
    case 'CancelWorkflow':
    case 'TerminateWorkflow':
    case 'PauseWorkflow':
    case 'ResumeWorkflow':
    case 'RetryWorkflow':
    case 'RestartWorkflow':
      return handlers.operate(ctx, command);
    case 'PruneClosed':
      return handlers.pruneClosed(ctx, command);
  }
}

/** Children that closed tell their parents; parents that stopped cancel their children. */
async function drainNotices(ctx: CommandContext): Promise<void> {
  for (let handled = 0; ctx.notices.length > 0; handled++) {
    assert(
      handled < MAX_NOTICES_PER_COMMAND,
      'a command caused more follow-ups than any workflow tree can',
    );
    const notice = ctx.notices.shift()!;
    if (notice.kind === 'childClosed') {
      await flow.childClosed(ctx, notice.parentInstanceId, notice.stepId, notice.childInstanceId);
      continue;
    }
    const child = await ctx.instance(notice.childInstanceId);
    if (child === undefined || isClosed(child.status) || child.status === 'COMPENSATING') continue;
    await flow.cancelWorkflow(ctx, child, notice.reason);
  }
}

/** Answers with the instance's status after the whole command settled (children included). */
async function withSettledStatus(
  ctx: CommandContext,
  response: EngineResponse,
): Promise<EngineResponse> {
  if (!('status' in response)) return response;
  const instance = await ctx.instance(response.instanceId);
  return instance === undefined ? response : { ...response, status: instance.status };
}

/** Parsed definitions by name and version, bounded; a cache only (the state is on disk). */
class CachedPlans implements PlanSource {
  private readonly cache = new Map<string, Plan>();

  constructor(private readonly capacity: number) {}

  parse(text: string, format: DefinitionFormat): Definition {
    return parseDefinition(text, format);
  }

  async latestVersion(tx: Tx, name: string): Promise<number | undefined> {
    return tx.getJson<number>(keys.latestDefinition(name));
  }

  async plan(tx: Tx, name: string, version: number): Promise<Plan> {
    const cacheKey = `${name}@${version}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const stored = await tx.getJson<StoredDefinition>(keys.definition(name, version));
    if (stored === undefined) {
      throw new CommandRejectedError(
        'DEFINITION_NOT_FOUND',
        `workflow definition ${name} has no version ${version}`,
      );
    }
    // Execution always uses the stored canonical form, so every node runs the same definition.
    const plan = new Plan(JSON.parse(stored.canonical) as Definition, version);
    this.cache.set(cacheKey, plan);
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    return plan;
  }
}
