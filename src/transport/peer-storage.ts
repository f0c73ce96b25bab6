import { HEALTHY_STORAGE } from '../lib/index.ts';
import type { NodeId, StorageHealth } from '../lib/index.ts';

/** While a peer is low, a move of its free space by this much is worth passing on. */
const REPORT_STEP_BYTES = 1024 * 1024;

/**
 * The last storage report heard from each peer, so a transport passes on changes only: every
 * batch carries its sender's report, and the handler should hear of a new one, not of each batch.
 * Never forgotten (a handful of entries): a forgotten low report, followed by a healthy one, would
 * leave the handler believing the peer still low.
 */
export class PeerStorageReports {
  private readonly last = new Map<NodeId, StorageHealth>();

  /** Records a report from `peer`; returns it when it differs enough from the last to pass on. */
  update(
    peer: NodeId,
    diskLow: boolean,
    diskFreeBytes: number,
    diskCritical: boolean,
  ): StorageHealth | null {
    const previous = this.last.get(peer) ?? HEALTHY_STORAGE;
    if (!diskLow && !previous.diskLow) return null;
    // Critical only ever comes with low (a peer that says otherwise is taken as low and critical).
    const critical = diskLow && diskCritical;
    if (
      diskLow === previous.diskLow &&
      critical === previous.diskCritical &&
      Math.abs(diskFreeBytes - previous.diskFreeBytes) < REPORT_STEP_BYTES
    ) {
      return null;
    }
    const report: StorageHealth = { diskLow, diskCritical: critical, diskFreeBytes };
    this.last.set(peer, report);
    return report;
  }
}
