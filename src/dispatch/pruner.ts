/**
 * Prunes closed workflows past their retention while this node leads: every PRUNE_INTERVAL_MS it
 * looks at the engine's closed-time index and, when something is old enough, proposes
 * PruneClosed with the cutoff computed here (DESIGN.md rule 3), repeating while full batches come
 * back. Nothing is proposed when nothing is due, so an idle cluster's log does not grow.
 */
import { keys } from '../engine/index.ts';
import type { EngineResult } from '../engine/index.ts';
import type { Logger } from '../observability/index.ts';
import { engineProposal } from '../replica/index.ts';
import type { Replica } from '../replica/index.ts';
import { NO_DISPATCH_METRICS } from './metrics.ts';
import type { DispatchMetrics } from './metrics.ts';
import { stampNowMs } from './stamp.ts';

/** How long a closed workflow is kept by default (its state, history and tasks). */
export const DEFAULT_CLOSED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** How often the leader looks for closed workflows past their retention. */
export const PRUNE_INTERVAL_MS = 60_000;
/** Instances one PruneClosed command deletes (the engine caps it too). */
export const MAX_PRUNED_PER_COMMAND = 100;
/** Commands one prune round proposes at most, so a backlog drains without hogging the log. */
const MAX_PRUNE_COMMANDS_PER_ROUND = 10;

export class ClosedPruner {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly replica: Pick<Replica, 'propose' | 'reader' | 'isLeader'>,
    private readonly retentionMs: number,
    private readonly logger: Logger,
    private readonly metrics: DispatchMetrics = NO_DISPATCH_METRICS,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      void this.round();
    }, PRUNE_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass (exposed for tests); returns how many workflows were pruned. */
  async round(): Promise<number> {
    if (this.running || !this.replica.isLeader()) return 0;
    this.running = true;
    let pruned = 0;
    try {
      for (let command = 0; command < MAX_PRUNE_COMMANDS_PER_ROUND; command++) {
        const cutoffMs = stampNowMs() - this.retentionMs;
        const due = await this.replica
          .reader()
          .scan({ gte: keys.byClosedPrefix(), lt: keys.byClosed(cutoffMs, ''), limit: 1 });
        if (due.length === 0) break;
        // Essential: pruning is how a full disk gets room back, so the last reserve lets it pass.
        const { result } = await this.replica.propose(
          engineProposal({
            type: 'PruneClosed',
            cutoffMs,
            maxInstances: MAX_PRUNED_PER_COMMAND,
            nowMs: stampNowMs(),
          }),
          { essential: true },
        );
        const outcome = result as EngineResult;
        if (!outcome.ok || outcome.response.type !== 'PruneClosed') break;
        pruned += outcome.response.pruned.length;
        this.metrics.workflowsPruned(outcome.response.pruned.length);
        if (outcome.response.pruned.length < MAX_PRUNED_PER_COMMAND) break;
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'pruning closed workflows failed; next round retries');
    } finally {
      this.running = false;
    }
    if (pruned > 0) this.logger.info({ pruned }, 'pruned closed workflows past their retention');
    return pruned;
  }
}
