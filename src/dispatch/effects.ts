/**
 * The engine's effects as the node applies commands: every accepted command's effects go to the
 * bus's listeners (the dispatcher), on every node, strictly in log order. Listeners must be quick
 * and must not throw: they run inside the replica's apply loop.
 */
import type { EngineEffect, EngineResult, WorkflowEngine } from '../engine/index.ts';
import type { ApplyContext, KvView, StateMachine } from '../lib/index.ts';

export type EffectListener = (effects: readonly EngineEffect[]) => void;

export class EffectBus {
  private readonly listeners = new Set<EffectListener>();

  subscribe(listener: EffectListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(effects: readonly EngineEffect[]): void {
    if (effects.length === 0) return;
    for (const listener of this.listeners) listener(effects);
  }
}

/** The engine as the replica's state machine, publishing each accepted command's effects. */
export class ObservedEngine implements StateMachine<EngineResult> {
  constructor(
    private readonly engine: WorkflowEngine,
    private readonly bus: EffectBus,
  ) {}

  async apply(command: Uint8Array, context: ApplyContext, view: KvView): Promise<EngineResult> {
    const result = await this.engine.apply(command, context, view);
    if (result.ok) this.bus.publish(result.effects);
    return result;
  }
}
