/**
 * What the members' disks allow the cluster to take in. Two lines, each node measuring its own
 * volume against its own settings (src/storage/disk-space.ts) and reporting with every batch:
 * - low (storage.minFreeDiskBytes): the leader refuses new client work — keys, workflows,
 *   signals — while the work already admitted (task results, timers) goes on in the room left;
 * - critical (storage.criticalFreeDiskBytes, the last reserve): the leader refuses every write
 *   but membership changes and retention pruning, so the admitted work cannot fill every disk
 *   at once either.
 * Only voters count (a learner's disk holds nothing a commit needs), and only while they are
 * heard from (VoterStorage). This class keeps the view, answers the admission questions, and
 * says what changed in the logs and the metrics.
 */
import { formatBytes } from '../lib/index.ts';
import type { NodeId, StorageHealth } from '../lib/index.ts';
import type { Logger, NodeMetrics } from '../observability/index.ts';
import { DiskSpaceCriticalError, DiskSpaceLowError } from './errors.ts';
import { VoterStorage } from './voter-storage.ts';

export interface DiskAdmissionOptions {
  readonly self: NodeId;
  /** Whether a peer was heard from recently enough for its report to count. */
  readonly isHeard: (peer: NodeId) => boolean;
  /** The node's logger of the moment (it carries the current term). */
  readonly logger: () => Logger;
  readonly metrics: NodeMetrics;
}

export class DiskAdmission {
  private readonly view: VoterStorage;
  /** The voters whose low disk holds client writes back, as last counted and logged. */
  private readonly lowCounted = new Set<NodeId>();
  /** The critical voters as last logged (ids joined), '' for none. */
  private criticalLogged = '';

  constructor(private readonly options: DiskAdmissionOptions) {
    this.view = new VoterStorage(options.self, options.isHeard);
  }

  /** This node's own measurement. */
  setLocal(storage: StorageHealth, voters: readonly NodeId[]): void {
    this.view.setLocal(storage);
    this.options.metrics.storageFreeBytes.set(storage.diskFreeBytes);
    this.options.metrics.storageLow.set(storage.diskLow ? 1 : 0);
    this.refresh(voters);
  }

  /** A peer's report, as its transport passed it on (changes only). */
  onPeerReport(peer: NodeId, storage: StorageHealth, voters: readonly NodeId[]): void {
    const wasLow = this.view.reported(peer).diskLow;
    this.view.setPeer(peer, storage);
    // Logged when it turns, not at every mebibyte a low volume's free space moves.
    const fields = { peer, freeBytes: storage.diskFreeBytes };
    if (storage.diskLow && !wasLow)
      this.options.logger().warn(fields, `${peer} reports its data volume low on space`);
    else if (!storage.diskLow && wasLow)
      this.options.logger().info(fields, `${peer} reports room on its data volume again`);
    this.refresh(voters);
  }

  /** What counts of a member's storage now. */
  of(member: NodeId): StorageHealth {
    return this.view.of(member);
  }

  /**
   * Throws DiskSpaceLowError while any voter is low: new client work waits (DiskSpaceCriticalError
   * when one is critical, so the message says how far it has gone).
   */
  admitClientWrite(voters: readonly NodeId[]): void {
    if (!this.view.anyLow(voters)) return;
    this.options.metrics.writesRefusedDiskLow.inc();
    const critical = this.view.criticalVoters(voters);
    if (critical.length > 0) throw new DiskSpaceCriticalError(critical);
    throw new DiskSpaceLowError(this.view.lowVoters(voters));
  }

  /** The error refusing a proposal while any voter is critical; null when it may go in. */
  refuseProposal(voters: readonly NodeId[]): DiskSpaceCriticalError | null {
    const critical = this.view.criticalVoters(voters);
    if (critical.length === 0) return null;
    this.options.metrics.writesRefusedDiskCritical.inc();
    return new DiskSpaceCriticalError(critical);
  }

  /**
   * Recounts the low and critical voters — a report lapses when its sender goes quiet, so this
   * runs every tick too — and says when one starts or stops counting.
   */
  refresh(voters: readonly NodeId[]): void {
    this.refreshLow(voters);
    this.refreshCritical(voters);
  }

  private refreshLow(voters: readonly NodeId[]): void {
    let changed = false;
    for (const voter of voters) {
      const low = this.view.of(voter).diskLow;
      if (low === this.lowCounted.has(voter)) continue;
      changed = true;
      if (low) this.lowCounted.add(voter);
      else this.lowCounted.delete(voter);
      // A report that turned is logged where it arrives; here only a lapse and its end.
      const reported = this.view.reported(voter);
      if (voter === this.options.self || !reported.diskLow) continue;
      const fields = { peer: voter, freeBytes: reported.diskFreeBytes };
      if (low)
        this.options
          .logger()
          .warn(fields, `${voter} is heard again and still reports its data volume low`);
      else
        this.options
          .logger()
          .warn(
            fields,
            `${voter} reported its data volume low but has gone quiet: client writes no longer wait for it`,
          );
    }
    for (const id of this.lowCounted) {
      if (voters.includes(id)) continue;
      this.lowCounted.delete(id);
      changed = true;
    }
    if (changed) this.options.metrics.storageLowVoters.set(this.lowCounted.size);
  }

  private refreshCritical(voters: readonly NodeId[]): void {
    const critical = this.view.criticalVoters(voters);
    if (critical.length === 0 && this.criticalLogged === '') return;
    const ids = critical.map((voter) => voter.id).join(',');
    if (ids === this.criticalLogged) return;
    this.criticalLogged = ids;
    this.options.metrics.storageCriticalVoters.set(critical.length);
    if (critical.length > 0) {
      const which = critical.map((v) => `${v.id}: ${formatBytes(v.freeBytes)} free`).join(', ');
      this.options
        .logger()
        .warn(
          { voters: critical },
          `voter data volumes below storage.criticalFreeDiskBytes (${which}): this node refuses every write but membership and retention pruning while it leads`,
        );
    } else {
      this.options
        .logger()
        .info('no voter is below storage.criticalFreeDiskBytes any more: writes are taken again');
    }
  }
}
