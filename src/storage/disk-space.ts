/**
 * Watches the free space of the volume that holds a node's data directory.
 *
 * A node that runs out of disk cannot persist, so it stops (the replica's fatal path); a cluster
 * whose volumes fill together would stop together. Watching the free space lets the leader
 * refuse new client writes first — while every voter still has room for the work already in
 * flight, LevelDB's compactions and the log's own compaction — and take them again once an
 * operator has made room, without a restart.
 *
 * Below a second, lower line (`criticalFreeBytes`, the last reserve) the node is critical too,
 * and the leader refuses every write but membership and retention pruning: the work admitted
 * before the low line (task results, timers) must not be what fills the disks.
 *
 * Both states have hysteresis: a node is low once its free space falls below `minFreeBytes`, and
 * stays low until it is back above `minFreeBytes` plus a margin, so a volume hovering at the line
 * does not flip writes on and off; likewise for critical.
 */
import { statfs } from 'node:fs/promises';
import { formatBytes, HEALTHY_STORAGE } from '../lib/index.ts';
import type { StorageHealth } from '../lib/index.ts';

const MIB = 1024 * 1024;
/** The margin above the minimum at which a low volume counts as having room again. */
const RECOVERY_MARGIN_MAX_BYTES = 64 * MIB;
/**
 * A last reserve below this may not hold: LevelDB writes a compaction's output before it deletes
 * its input, tens of MiB at once (measured by `npm run test:disk-full`).
 */
export const SMALLEST_SAFE_RESERVE_BYTES = 64 * MIB;
/** The margin above the last reserve at which a critical volume is only low again. */
const CRITICAL_RECOVERY_MARGIN_MAX_BYTES = 16 * MIB;

/** Free space at or above which a low volume has room again. */
export function recoveryThreshold(minFreeBytes: number): number {
  return minFreeBytes + Math.min(RECOVERY_MARGIN_MAX_BYTES, Math.floor(minFreeBytes / 4));
}

/** The next low/not-low state, given the previous one and a fresh measurement. */
export function nextDiskLow(wasLow: boolean, freeBytes: number, minFreeBytes: number): boolean {
  if (minFreeBytes === 0) return false;
  return wasLow ? freeBytes < recoveryThreshold(minFreeBytes) : freeBytes < minFreeBytes;
}

/** The next critical/not-critical state, as nextDiskLow but with its own, smaller margin. */
export function nextDiskCritical(
  wasCritical: boolean,
  freeBytes: number,
  criticalFreeBytes: number,
): boolean {
  if (criticalFreeBytes === 0) return false;
  const margin = Math.min(CRITICAL_RECOVERY_MARGIN_MAX_BYTES, Math.floor(criticalFreeBytes / 4));
  return freeBytes < (wasCritical ? criticalFreeBytes + margin : criticalFreeBytes);
}

/** Bytes an unprivileged writer may still use on the volume holding `path`. */
export async function freeBytesAt(path: string): Promise<number> {
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
}

export interface DiskSpaceLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface DiskSpaceMonitorOptions {
  /** Any path on the volume: the data directory. */
  readonly path: string;
  /** 0 switches the watch off (the node always reports room). */
  readonly minFreeBytes: number;
  /** The last reserve, below minFreeBytes; 0: never critical. */
  readonly criticalFreeBytes?: number;
  readonly intervalMs: number;
  /** Called on every measurement (metrics); the low state may or may not have changed. */
  readonly onMeasured: (health: StorageHealth) => void;
  readonly logger: DiskSpaceLogger;
  /** How free space is measured; the real volume's unless a test says otherwise. */
  readonly measure?: (path: string) => Promise<number>;
}

export class DiskSpaceMonitor {
  private health: StorageHealth = HEALTHY_STORAGE;
  private timer: NodeJS.Timeout | null = null;
  private measuring: Promise<void> | null = null;
  private failedBefore = false;
  private readonly measure: (path: string) => Promise<number>;

  constructor(private readonly options: DiskSpaceMonitorOptions) {
    this.measure = options.measure ?? freeBytesAt;
  }

  /** Measures once (so a node that starts on a full volume reports it at once), then every interval. */
  async start(): Promise<void> {
    if (this.options.minFreeBytes === 0) return;
    await this.check();
    this.timer = setInterval(() => {
      void this.check();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  current(): StorageHealth {
    return this.health;
  }

  /** One measurement; overlapping calls share it (a slow statfs must not pile up). */
  check(): Promise<void> {
    this.measuring ??= this.measureOnce().finally(() => {
      this.measuring = null;
    });
    return this.measuring;
  }

  private async measureOnce(): Promise<void> {
    let freeBytes: number;
    try {
      freeBytes = await this.measure(this.options.path);
    } catch (error) {
      // Keep the last state: a failing statfs says nothing about the space itself.
      if (!this.failedBefore) {
        this.options.logger.warn(
          { err: error, path: this.options.path },
          'cannot measure the free space of the data volume; keeping the last state',
        );
      }
      this.failedBefore = true;
      return;
    }
    this.failedBefore = false;
    const minFreeBytes = this.options.minFreeBytes;
    const criticalFreeBytes = this.options.criticalFreeBytes ?? 0;
    const wasLow = this.health.diskLow;
    const wasCritical = this.health.diskCritical;
    const diskLow = nextDiskLow(wasLow, freeBytes, minFreeBytes);
    const diskCritical = diskLow && nextDiskCritical(wasCritical, freeBytes, criticalFreeBytes);
    this.health = { diskLow, diskCritical, diskFreeBytes: freeBytes };
    if (diskCritical && !wasCritical) {
      this.options.logger.warn(
        { path: this.options.path, freeBytes, criticalFreeBytes },
        `the data volume has ${formatBytes(freeBytes)} free, below storage.criticalFreeDiskBytes (${formatBytes(criticalFreeBytes)}): the cluster refuses every write but membership changes and retention pruning until there is room again`,
      );
    } else if (wasCritical && !diskCritical) {
      this.options.logger.info(
        { path: this.options.path, freeBytes, criticalFreeBytes },
        `the data volume has ${formatBytes(freeBytes)} free, above its last reserve again`,
      );
    }
    if (diskLow && !wasLow) {
      this.options.logger.warn(
        { path: this.options.path, freeBytes, minFreeBytes },
        `the data volume has ${formatBytes(freeBytes)} free, below storage.minFreeDiskBytes (${formatBytes(minFreeBytes)}): the cluster refuses new client writes until there is room again`,
      );
    } else if (wasLow && !diskLow) {
      this.options.logger.info(
        { path: this.options.path, freeBytes, minFreeBytes },
        `the data volume has ${formatBytes(freeBytes)} free again: client writes are no longer refused on this node's account`,
      );
    }
    this.options.onMeasured(this.health);
  }
}
