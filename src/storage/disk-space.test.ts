import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageHealth } from '../lib/index.ts';
import {
  DiskSpaceMonitor,
  freeBytesAt,
  nextDiskCritical,
  nextDiskLow,
  recoveryThreshold,
} from './disk-space.ts';

const MIB = 1024 * 1024;

describe('nextDiskLow', () => {
  it('goes low below the minimum and back only above the minimum plus a margin', () => {
    const min = 256 * MIB;
    expect(recoveryThreshold(min)).toBe(320 * MIB);
    expect(nextDiskLow(false, min, min)).toBe(false);
    expect(nextDiskLow(false, min - 1, min)).toBe(true);
    // Hovering just above the line does not flip a low volume back.
    expect(nextDiskLow(true, min + 10 * MIB, min)).toBe(true);
    expect(nextDiskLow(true, 320 * MIB - 1, min)).toBe(true);
    expect(nextDiskLow(true, 320 * MIB, min)).toBe(false);
  });

  it('keeps the margin at a quarter of a small minimum and at most 64 MiB of a large one', () => {
    expect(recoveryThreshold(8 * MIB)).toBe(10 * MIB);
    expect(recoveryThreshold(100 * 1024 * MIB)).toBe(100 * 1024 * MIB + 64 * MIB);
  });

  it('never reports low when the check is off (minimum 0)', () => {
    expect(nextDiskLow(false, 0, 0)).toBe(false);
    expect(nextDiskLow(true, 0, 0)).toBe(false);
  });
});

describe('nextDiskCritical', () => {
  it('goes critical below the last reserve and back above it plus a quarter (at most 16 MiB)', () => {
    const reserve = 64 * MIB;
    expect(nextDiskCritical(false, reserve, reserve)).toBe(false);
    expect(nextDiskCritical(false, reserve - 1, reserve)).toBe(true);
    expect(nextDiskCritical(true, reserve + 15 * MIB, reserve)).toBe(true);
    expect(nextDiskCritical(true, reserve + 16 * MIB, reserve)).toBe(false);
    expect(nextDiskCritical(true, 8 * MIB + 2 * MIB - 1, 8 * MIB)).toBe(true);
    expect(nextDiskCritical(true, 8 * MIB + 2 * MIB, 8 * MIB)).toBe(false);
    expect(nextDiskCritical(true, 0, 0)).toBe(false);
  });
});

describe('DiskSpaceMonitor', () => {
  const dirs: string[] = [];
  const monitors: DiskSpaceMonitor[] = [];
  afterEach(() => {
    for (const monitor of monitors.splice(0)) monitor.stop();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'baton-disk-space-'));
    dirs.push(dir);
    return dir;
  }

  interface Recorded {
    readonly monitor: DiskSpaceMonitor;
    readonly measured: StorageHealth[];
    readonly warnings: string[];
    readonly infos: string[];
  }

  function monitorOf(
    options: {
      minFreeBytes: number;
      criticalFreeBytes?: number;
      measure?: (path: string) => Promise<number>;
    },
    path = tempDir(),
  ): Recorded {
    const measured: StorageHealth[] = [];
    const warnings: string[] = [];
    const infos: string[] = [];
    const monitor = new DiskSpaceMonitor({
      path,
      minFreeBytes: options.minFreeBytes,
      criticalFreeBytes: options.criticalFreeBytes ?? 0,
      intervalMs: 60_000,
      onMeasured: (health) => measured.push(health),
      logger: {
        warn: (_fields, message) => warnings.push(message),
        info: (_fields, message) => infos.push(message),
      },
      ...(options.measure === undefined ? {} : { measure: options.measure }),
    });
    monitors.push(monitor);
    return { monitor, measured, warnings, infos };
  }

  it("measures the real volume's free space on start", async () => {
    const dir = tempDir();
    const free = await freeBytesAt(dir);
    expect(free).toBeGreaterThan(0);
    const { monitor, measured } = monitorOf({ minFreeBytes: 1 }, dir);
    await monitor.start();
    expect(measured).toHaveLength(1);
    expect(monitor.current().diskLow).toBe(false);
    // Other processes write meanwhile: the same volume, give or take a few hundred MiB.
    expect(Math.abs(monitor.current().diskFreeBytes - free)).toBeLessThan(512 * MIB);
  });

  it('reports a volume below a minimum above its free space as low, with a message naming the setting', async () => {
    const dir = tempDir();
    const free = await freeBytesAt(dir);
    const { monitor, warnings } = monitorOf({ minFreeBytes: free + 1024 * MIB }, dir);
    await monitor.start();
    expect(monitor.current().diskLow).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/below storage\.minFreeDiskBytes .*refuses new client writes/);
  });

  it('follows the measurements through low and back, logging each change once', async () => {
    let free = 500 * MIB;
    const { monitor, measured, warnings, infos } = monitorOf({
      minFreeBytes: 256 * MIB,
      measure: () => Promise.resolve(free),
    });
    await monitor.start();
    expect(monitor.current()).toEqual({
      diskLow: false,
      diskCritical: false,
      diskFreeBytes: 500 * MIB,
    });
    free = 200 * MIB;
    await monitor.check();
    free = 190 * MIB;
    await monitor.check();
    expect(monitor.current()).toEqual({
      diskLow: true,
      diskCritical: false,
      diskFreeBytes: 190 * MIB,
    });
    free = 300 * MIB; // above the minimum, below its margin: still low
    await monitor.check();
    expect(monitor.current().diskLow).toBe(true);
    free = 400 * MIB;
    await monitor.check();
    expect(monitor.current()).toEqual({
      diskLow: false,
      diskCritical: false,
      diskFreeBytes: 400 * MIB,
    });
    expect(measured.map((health) => health.diskLow)).toEqual([false, true, true, true, false]);
    expect(warnings).toHaveLength(1);
    expect(infos).toHaveLength(1);
  });

  it('goes critical below the last reserve and back, low throughout, logging each change once', async () => {
    let free = 100 * MIB;
    const { monitor, measured, warnings, infos } = monitorOf({
      minFreeBytes: 256 * MIB,
      criticalFreeBytes: 64 * MIB,
      measure: () => Promise.resolve(free),
    });
    await monitor.start();
    expect(monitor.current()).toMatchObject({ diskLow: true, diskCritical: false });
    free = 60 * MIB;
    await monitor.check();
    expect(monitor.current()).toEqual({
      diskLow: true,
      diskCritical: true,
      diskFreeBytes: 60 * MIB,
    });
    free = 70 * MIB; // above the reserve, inside its margin: still critical
    await monitor.check();
    expect(monitor.current().diskCritical).toBe(true);
    free = 90 * MIB;
    await monitor.check();
    expect(monitor.current()).toMatchObject({ diskLow: true, diskCritical: false });
    // Straight from critical to room: both clear at once.
    free = 30 * MIB;
    await monitor.check();
    free = 900 * MIB;
    await monitor.check();
    expect(monitor.current()).toMatchObject({ diskLow: false, diskCritical: false });
    expect(measured.map((h) => [h.diskLow, h.diskCritical])).toEqual([
      [true, false],
      [true, true],
      [true, true],
      [true, false],
      [true, true],
      [false, false],
    ]);
    expect(warnings.filter((w) => w.includes('storage.criticalFreeDiskBytes'))).toHaveLength(2);
    expect(warnings[1]).toMatch(
      /60\.0 MiB free, below storage\.criticalFreeDiskBytes \(64\.0 MiB\): the cluster refuses every write but membership changes and retention pruning/,
    );
    expect(infos.filter((i) => i.includes('last reserve'))).toHaveLength(2);
  });

  it('keeps the last state when the volume cannot be measured, and says so once', async () => {
    let fail = false;
    const { monitor, warnings } = monitorOf({
      minFreeBytes: 256 * MIB,
      measure: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve(100 * MIB)),
    });
    await monitor.start();
    expect(monitor.current().diskLow).toBe(true);
    fail = true;
    await monitor.check();
    await monitor.check();
    expect(monitor.current()).toEqual({
      diskLow: true,
      diskCritical: false,
      diskFreeBytes: 100 * MIB,
    });
    expect(warnings.filter((message) => message.startsWith('cannot measure'))).toHaveLength(1);
  });

  it('measures nothing when the check is off', async () => {
    let calls = 0;
    const { monitor, measured } = monitorOf({
      minFreeBytes: 0,
      measure: () => {
        calls++;
        return Promise.resolve(0);
      },
    });
    await monitor.start();
    expect(calls).toBe(0);
    expect(measured).toEqual([]);
    expect(monitor.current().diskLow).toBe(false);
  });
});
