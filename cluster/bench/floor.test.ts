import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuMeter, processCpuMs } from '../lib/process-cpu.ts';
import { THROUGHPUT_CLIENT } from './raft.ts';
import { FloorTarget } from './targets.ts';

const FLOOR_NODE = fileURLToPath(new URL('./floor-node.ts', import.meta.url));

describe('the floor cluster', () => {
  let floor: FloorTarget;
  beforeAll(async () => {
    floor = await FloorTarget.start(THROUGHPUT_CLIENT);
  });
  afterAll(async () => {
    await floor.shutdown();
  });

  it('acknowledges writes through the etcd client, and its nodes spend CPU on them', async () => {
    const pids = floor.processIds();
    expect(pids).toHaveLength(3);
    const meter = new CpuMeter(pids);
    const value = Buffer.alloc(100, 7);
    const writes = 300;
    for (let i = 0; i < writes; i++) await floor.put(`k${i}`, value);
    await Promise.all(Array.from({ length: 64 }, (_, i) => floor.put(`c${i}`, value)));
    const perWrite = meter.perOperation(writes + 64);
    expect(perWrite).not.toBeNull();
    expect(perWrite!.processesUs).toHaveLength(3);
    // Largest first: the leader, which takes the client's call and writes to both followers.
    expect(perWrite!.processesUs[0]).toBeGreaterThanOrEqual(perWrite!.processesUs[2]!);
    expect(perWrite!.processesUs[0]).toBeGreaterThan(0);
    expect(floor.failedAttempts()).toEqual({});
  });

  it('has no failover to offer', async () => {
    await expect(floor.kill()).rejects.toThrow(/no failover/);
  });
});

describe('another floor cluster', () => {
  it('refuses an oversized request, goes on, and removes its data on shutdown', async () => {
    // The etcd client retries every refusal until its budget: keep that budget short.
    const other = await FloorTarget.start({
      channels: { channelsPerEndpoint: 1 },
      retry: { attemptDeadlineMs: 2_000, budgetMs: 300 },
    });
    const baseDir = other.baseDir;
    try {
      await expect(other.put('big', Buffer.alloc(70 * 1024))).rejects.toMatchObject({
        cause: { code: 3, details: 'request too large' }, // INVALID_ARGUMENT
      });
      await other.put('k', Buffer.from('v'));
      expect(existsSync(baseDir)).toBe(true);
    } finally {
      await other.shutdown();
    }
    expect(existsSync(baseDir)).toBe(false);
  });
});

describe('a floor node', () => {
  it('refuses a command line it cannot use, with a message', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', FLOOR_NODE, ...args], { encoding: 'utf8' });
    const noRole = run(['--data', '/tmp/unused-floor']);
    expect(noRole.status).toBe(2);
    expect(noRole.stderr).toContain('--role must be leader or follower');
    const leaderAlone = run(['--role', 'leader', '--data', '/tmp/unused-floor']);
    expect(leaderAlone.status).toBe(2);
    expect(leaderAlone.stderr).toContain('a leader needs --followers');
  });
});

describe('process CPU time', () => {
  it('reads this process and nothing for a process that does not exist', () => {
    const before = processCpuMs(process.pid);
    expect(before).not.toBeNull();
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    expect(processCpuMs(process.pid)!).toBeGreaterThan(before!);
    expect(processCpuMs(2 ** 22 + 12345)).toBeNull();
    expect(new CpuMeter([2 ** 22 + 12345]).perOperation(10)).toBeNull();
    expect(new CpuMeter([process.pid]).perOperation(0)).toBeNull();
  });
});
