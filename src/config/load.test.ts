import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig, parsePeers } from './load.ts';

const minimal = { nodeId: 'n1', listen: '127.0.0.1:7001', dataDir: '/tmp/x' };

describe('loadConfig', () => {
  it('fills sane defaults for a local cluster', () => {
    const config = loadConfig({ flags: minimal });
    expect(config.clusterId).toBe('local');
    expect(config.raft.tickMs).toBe(5);
    expect(config.raft.heartbeatTicks).toBe(10);
    expect(config.raft.electionTicks).toBe(30);
    expect(config.replica.maxPendingProposals).toBeGreaterThan(0);
    expect(config.api.maxKeyBytes).toBe(1024);
    expect(config.workflows.closedRetentionMs).toBe(7 * 24 * 60 * 60 * 1000);
    expect(config.peers).toEqual({});
  });

  it('takes the retention of closed workflows from the environment, within limits', () => {
    const config = loadConfig({
      flags: minimal,
      env: { BATON_WORKFLOWS_CLOSED_RETENTION_MS: '3600000' },
    });
    expect(config.workflows.closedRetentionMs).toBe(3_600_000);
    expect(() =>
      loadConfig({ flags: minimal, env: { BATON_WORKFLOWS_CLOSED_RETENTION_MS: '5' } }),
    ).toThrow(/workflows\.closedRetentionMs/);
  });

  it('parses peers from a flag string', () => {
    const config = loadConfig({
      flags: { ...minimal, peers: 'n2=127.0.0.1:7002,n3=127.0.0.1:7003' },
    });
    expect(config.peers).toEqual({ n2: '127.0.0.1:7002', n3: '127.0.0.1:7003' });
  });

  it('takes flags over environment over file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    const file = join(dir, 'baton.yaml');
    writeFileSync(
      file,
      'nodeId: fromfile\nlisten: 127.0.0.1:1\ndataDir: /d\nraft:\n  tickMs: 7\n  heartbeatTicks: 3\nreplica:\n  maxPendingProposals: 11\n',
    );
    const config = loadConfig({
      configFile: file,
      env: {
        BATON_LISTEN: '127.0.0.1:2',
        BATON_RAFT_TICK_MS: '8',
        BATON_REPLICA_SNAPSHOT_EVERY_ENTRIES: '500',
        BATON_STORAGE_MIN_FREE_DISK_BYTES: '1048576',
      },
      flags: { nodeId: 'fromflag', dataDir: undefined },
    });
    expect(config.nodeId).toBe('fromflag');
    expect(config.listen).toBe('127.0.0.1:2');
    expect(config.dataDir).toBe('/d');
    expect(config.raft.tickMs).toBe(8);
    expect(config.raft.heartbeatTicks).toBe(3);
    expect(config.replica.maxPendingProposals).toBe(11);
    expect(config.replica.snapshotEveryEntries).toBe(500);
    expect(config.storage.minFreeDiskBytes).toBe(1_048_576);
    expect(config.storage.diskCheckIntervalMs).toBe(1_000);
    // The last reserve follows the minimum unless set: a quarter of it.
    expect(config.storage.criticalFreeDiskBytes).toBe(262_144);
  });

  it('keeps the critical free-space line below the low one, 64 MiB of 256 by default', () => {
    expect(loadConfig({ flags: minimal }).storage).toMatchObject({
      minFreeDiskBytes: 256 * 1024 * 1024,
      criticalFreeDiskBytes: 64 * 1024 * 1024,
    });
    expect(
      loadConfig({ flags: { ...minimal, storage: { minFreeDiskBytes: 0 } } }).storage
        .criticalFreeDiskBytes,
    ).toBe(0);
    expect(
      loadConfig({
        env: { BATON_STORAGE_CRITICAL_FREE_DISK_BYTES: '1000' },
        flags: { ...minimal, storage: { minFreeDiskBytes: 5000 } },
      }).storage.criticalFreeDiskBytes,
    ).toBe(1000);
    expect(() =>
      loadConfig({
        flags: { ...minimal, storage: { minFreeDiskBytes: 5000, criticalFreeDiskBytes: 5000 } },
      }),
    ).toThrow(/storage\.criticalFreeDiskBytes must be below storage\.minFreeDiskBytes/);
  });

  it('names every bad setting in one error', () => {
    let caught: unknown;
    try {
      loadConfig({
        flags: {
          ...minimal,
          listen: 'nope',
          raft: { tickMs: 0 },
          api: { maxKeyBytes: -1 },
          storage: { minFreeDiskBytes: -1 },
        },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    expect(message).toContain('listen');
    expect(message).toContain('raft.tickMs');
    expect(message).toContain('api.maxKeyBytes');
    expect(message).toContain('storage.minFreeDiskBytes');
  });

  it('refuses an election timeout not above the heartbeat', () => {
    expect(() =>
      loadConfig({ flags: { ...minimal, raft: { heartbeatTicks: 10, electionTicks: 10 } } }),
    ).toThrow(/electionTicks/);
  });

  it('refuses a node listed among its own peers', () => {
    expect(() => loadConfig({ flags: { ...minimal, peers: 'n1=127.0.0.1:7002' } })).toThrow(
      /own id/,
    );
  });

  it('requires the node id, listen address and data directory', () => {
    expect(() => loadConfig({ flags: {} })).toThrow(/nodeId[\s\S]*listen[\s\S]*dataDir/);
  });
});

describe('parsePeers', () => {
  it('rejects malformed entries and duplicates', () => {
    expect(() => parsePeers('n2')).toThrow(/id=host:port/);
    expect(() => parsePeers('n2=a:1,n2=b:2')).toThrow(/twice/);
    expect(parsePeers('')).toEqual({});
  });
});
