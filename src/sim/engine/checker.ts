import type { KvReader } from '../../lib/index.ts';
import { getInstanceState, keys } from '../../engine/index.ts';
import type { EngineResult, HistoryEvent } from '../../engine/index.ts';
import { checkEngineInvariants } from '../../engine/testing/index.ts';
import type { Entry } from '../raft.ts';
import type { EngineHost } from './engine-host.ts';
import { EngineSimViolationError } from './errors.ts';
import { LEASED_AT_FIELD } from './workload.ts';

/** History events read per instance in the final exactly-once check. */
const MAX_HISTORY_SCAN = 100_000;

interface AppliedRecord {
  readonly term: number;
  readonly kind: Entry['kind'];
  readonly result: string;
  readonly stateHash: string;
  readonly node: string;
}

const decoder = new TextDecoder();

/**
 * Watches every replica's apply and commit and fails the run on the first broken property:
 * - Same State: two replicas that applied the same index hold the same entry, got the same engine
 *   result, and hold byte-identical state (a content hash of the whole keyspace, kept current on
 *   every write) — also after restoring from a snapshot or restarting from durable state;
 * - Exactly Once: along the log, no task attempt is completed (or failed) as a new effect twice,
 *   and an acknowledged duplicate refers to an attempt that did close; at the end, every attempt a
 *   worker closed that is still on record has exactly one TaskCompleted/TaskFailed event in history;
 * - Stale Attempt Rejected: a worker's result for a lease from an earlier run of a reused workflow
 *   id is not applied to the new run (task ids restart with each run);
 * - Rejection Is Pure: a rejected command writes nothing (checked by the host);
 * - Engine Invariants (src/engine/testing/invariants.ts) on committed state, every few commits.
 */
export class EngineChecker {
  private readonly applied = new Map<number, AppliedRecord>();
  private readonly instanceGeneration = new Map<string, number>();
  /** `<generation>|<taskId>#<attempt>` → the index whose command completed (or failed) it. */
  private readonly completed = new Map<string, number>();
  private readonly failed = new Map<string, number>();
  /** `<activation index>|<taskId>#<attempt>` → the run (generation) the lease was granted in. */
  private readonly leases = new Map<string, number>();
  private commits = 0;
  readonly counts = {
    applies: 0,
    rejections: 0,
    completions: 0,
    duplicateCompletions: 0,
    invariantChecks: 0,
  };

  constructor(private readonly invariantEveryCommits: number) {}

  fail(property: string, detail: string): never {
    throw new EngineSimViolationError(property, detail);
  }

  onApplied(host: EngineHost, entry: Entry, result: EngineResult | null, stateHash: string): void {
    this.counts.applies++;
    if (result !== null && !result.ok) this.counts.rejections++;
    const digest = result === null ? '-' : JSON.stringify(result);
    const known = this.applied.get(entry.index);
    if (known === undefined) {
      this.applied.set(entry.index, {
        term: entry.term,
        kind: entry.kind,
        result: digest,
        stateHash,
        node: host.id,
      });
      if (result !== null) this.followEffects(entry, result);
      return;
    }
    const where = `index ${entry.index}: ${host.id} vs ${known.node}`;
    if (known.term !== entry.term || known.kind !== entry.kind) {
      this.fail(
        'State Machine Safety',
        `${where} applied term ${entry.term} ${entry.kind} vs term ${known.term} ${known.kind}`,
      );
    }
    if (known.result !== digest) this.fail('Same Result', `${where}: ${digest} vs ${known.result}`);
    if (known.stateHash !== stateHash)
      this.fail('Same State', `${where}: state hash ${stateHash} vs ${known.stateHash}`);
  }

  onRejectionWrote(host: EngineHost, entry: Entry, detail: string): never {
    this.fail(
      'Rejection Is Pure',
      `${host.id} index ${entry.index} (${decoder.decode(entry.data)}): ${detail}`,
    );
  }

  async onCommitted(host: EngineHost): Promise<void> {
    this.checkDurableState(host, 'commit');
    this.commits++;
    if (this.invariantEveryCommits > 0 && this.commits % this.invariantEveryCommits === 0) {
      await this.checkInvariants(host.durable.kv, `${host.id} at ${host.durable.applied}`);
    }
  }

  onRestored(host: EngineHost, why: string): void {
    this.checkDurableState(host, why);
  }

  async checkInvariants(reader: KvReader, where: string): Promise<void> {
    this.counts.invariantChecks++;
    const violations = await checkEngineInvariants(reader);
    if (violations.length > 0)
      this.fail('Engine Invariants', `${where}: ${violations.slice(0, 5).join('; ')}`);
  }

  /** At the end: every attempt a worker closed, of a live instance, has exactly one closing event. */
  async checkCompletedHistories(reader: KvReader): Promise<number> {
    const expected = new Map<string, Set<string>>();
    for (const token of [...this.completed.keys(), ...this.failed.keys()]) {
      const [generation, attemptKey] = token.split('|') as [string, string];
      const taskId = attemptKey.slice(0, attemptKey.lastIndexOf('#'));
      if (Number(generation) !== (this.instanceGeneration.get(rootInstanceOf(taskId)) ?? 0))
        continue;
      const instanceId = taskId.slice(0, taskId.lastIndexOf('/'));
      const set = expected.get(instanceId) ?? new Set<string>();
      set.add(attemptKey);
      expected.set(instanceId, set);
    }
    let checked = 0;
    for (const [instanceId, attempts] of expected) {
      if ((await getInstanceState(reader, instanceId)) === undefined) continue;
      const counts = new Map<string, number>();
      const prefix = keys.historyOf(instanceId);
      const events = await reader.scan({
        gte: prefix,
        lt: `${prefix}\u{10FFFF}`,
        limit: MAX_HISTORY_SCAN,
      });
      if (
        events.length > 0 &&
        (JSON.parse(decoder.decode(events[0]![1])) as HistoryEvent).seq !== 0
      )
        continue;
      for (const [, value] of events) {
        const event = JSON.parse(decoder.decode(value)) as HistoryEvent;
        // An http result with an unexpected status closes the attempt as failed.
        if (event.type !== 'TaskCompleted' && event.type !== 'TaskFailed') continue;
        const key = `${event.taskId}#${event.attempt}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const attempt of attempts) {
        checked++;
        const n = counts.get(attempt) ?? 0;
        if (n !== 1)
          this.fail(
            'Exactly Once',
            `${attempt} was closed by its worker, and its history holds ${n} TaskCompleted/TaskFailed events`,
          );
      }
    }
    return checked;
  }

  get highestApplied(): number {
    let highest = 0;
    for (const index of this.applied.keys()) highest = Math.max(highest, index);
    return highest;
  }

  private checkDurableState(host: EngineHost, why: string): void {
    const known = this.applied.get(host.durable.applied);
    if (known === undefined) return;
    if (known.stateHash !== host.durable.hash.value) {
      this.fail(
        'Same State',
        `${host.id} after ${why} at ${host.durable.applied}: durable hash ${host.durable.hash.value} vs ${known.stateHash} (${known.node})`,
      );
    }
  }

  /** Follows task effects along the log (each index is seen here once, from its first applier). */
  private followEffects(entry: Entry, result: EngineResult): void {
    if (!result.ok) return;
    const command = JSON.parse(decoder.decode(entry.data)) as WorkerResultCommand;
    const response = result.response;
    if (response.type === 'ActivateTasks') {
      for (const task of response.tasks) {
        this.leases.set(
          `${entry.index}|${task.taskId}#${task.attempt}`,
          this.generationOf(task.taskId),
        );
      }
      return;
    }
    // A new run under a used id (ALLOW_IF_CLOSED, or after pruning) starts task ids over; a restart does not.
    if (response.type === 'StartWorkflow' && !response.existing)
      this.nextGeneration(response.instanceId);
    if (response.type !== 'CompleteTask' && response.type !== 'FailTask') return;
    const attemptKey = `${response.taskId}#${command.attempt ?? '?'}`;
    const token = `${this.instanceGeneration.get(rootInstanceOf(response.taskId)) ?? 0}|${attemptKey}`;
    const closedAt = this.completed.get(token) ?? this.failed.get(token);
    if (response.duplicate) {
      this.counts.duplicateCompletions++;
      if (closedAt !== undefined) return;
      const earlier = this.closedInEarlierRun(response.taskId, attemptKey);
      if (earlier !== undefined) {
        this.fail(
          'Stale Attempt Rejected',
          `index ${entry.index}: ${response.type} of ${attemptKey} acknowledged as a duplicate of the close at index ${earlier}, ` +
            `which belongs to an earlier run of the reused workflow id ${rootInstanceOf(response.taskId)}: the old run's task outlived the reuse`,
        );
      }
      this.fail(
        'Exactly Once',
        `index ${entry.index}: ${response.type} of ${attemptKey} acknowledged as a duplicate, but that attempt never closed`,
      );
    }
    if (closedAt !== undefined) {
      this.fail(
        'Exactly Once',
        `index ${entry.index}: ${response.type} of ${attemptKey} applied again (first closed at index ${closedAt})`,
      );
    }
    this.checkLeaseIsCurrent(entry, command, attemptKey);
    this.counts.completions++;
    (response.type === 'CompleteTask' ? this.completed : this.failed).set(token, entry.index);
  }

  /** A result that answers a lease from an earlier run of a reused workflow id is stale. */
  private checkLeaseIsCurrent(
    entry: Entry,
    command: WorkerResultCommand,
    attemptKey: string,
  ): void {
    const leasedAt = command.output?.[LEASED_AT_FIELD] ?? command.error?.details?.[LEASED_AT_FIELD];
    if (typeof leasedAt !== 'number') return;
    const leaseGeneration = this.leases.get(`${leasedAt}|${attemptKey}`);
    const current = this.generationOf(attemptKey);
    if (leaseGeneration !== undefined && leaseGeneration !== current) {
      this.fail(
        'Stale Attempt Rejected',
        `index ${entry.index}: ${command.type} of ${attemptKey} answers the lease granted at index ${leasedAt} to run ${leaseGeneration} of ${rootInstanceOf(attemptKey)}, ` +
          `but run ${current} holds that id now, and the engine applied it to the new run`,
      );
    }
  }

  private closedInEarlierRun(taskId: string, attemptKey: string): number | undefined {
    for (let generation = this.generationOf(taskId) - 1; generation >= 0; generation--) {
      const index =
        this.completed.get(`${generation}|${attemptKey}`) ??
        this.failed.get(`${generation}|${attemptKey}`);
      if (index !== undefined) return index;
    }
    return undefined;
  }

  private generationOf(id: string): number {
    return this.instanceGeneration.get(rootInstanceOf(id)) ?? 0;
  }

  private nextGeneration(instanceId: string): void {
    const root = rootInstanceOf(instanceId);
    this.instanceGeneration.set(root, (this.instanceGeneration.get(root) ?? 0) + 1);
  }
}

interface WorkerResultCommand {
  type: string;
  attempt?: number;
  output?: Record<string, unknown>;
  error?: { details?: Record<string, unknown> };
}

/** Task ids are `<instanceId>/<n>`, child instances `<parentId>:<n>`: the top-level instance. */
function rootInstanceOf(id: string): string {
  const slash = id.indexOf('/');
  const instance = slash < 0 ? id : id.slice(0, slash);
  const colon = instance.indexOf(':');
  return colon < 0 ? instance : instance.slice(0, colon);
}
