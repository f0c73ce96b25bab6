/**
 * A 3-member etcd cluster on loopback for the side-by-side benchmark (Debian's etcd-server,
 * installed if missing), and a client for it built on the same ChannelPool and retry settings as
 * Baton's client. etcd's own defaults are kept (fsync on every commit) except the Raft timers,
 * which a run may tune.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { MethodCodec } from '../../lib/api.ts';
import { ChannelPool, isServiceError, type ChannelSettings } from '../../lib/channels.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../lib/client.ts';
import { RetryBudgetExhaustedError, WaitTimeoutError } from '../../lib/errors.ts';
import { freePorts } from '../../../src/lib/testing/ports.ts';
import { sleep } from '../../lib/stats.ts';

const ETCD_PROTO_DIR = fileURLToPath(new URL('.', import.meta.url));

interface ResponseHeader {
  clusterId: string;
  memberId: string;
  revision: string;
  raftTerm: string;
}
interface PutRequest {
  key: Uint8Array;
  value: Uint8Array;
}
interface PutResponse {
  header: ResponseHeader;
}
interface RangeRequest {
  key: Uint8Array;
  serializable: boolean;
}
interface RangeResponse {
  header: ResponseHeader;
  kvs: { key: Uint8Array; value: Uint8Array }[];
  count: string;
}
interface StatusResponse {
  header: ResponseHeader;
  leader: string;
  raftIndex: string;
  raftAppliedIndex: string;
}

interface EtcdMethods {
  put: MethodCodec<PutRequest, PutResponse>;
  range: MethodCodec<RangeRequest, RangeResponse>;
  status: MethodCodec<Record<string, never>, StatusResponse>;
}

let etcdMethods: EtcdMethods | undefined;

function methods(): EtcdMethods {
  if (etcdMethods !== undefined) return etcdMethods;
  // Member ids are random 64-bit numbers: keep them as strings, not rounded doubles.
  const definition = protoLoader.loadSync('rpc.proto', {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [ETCD_PROTO_DIR],
  });
  const root = grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject;
  const method = <Request, Response>(
    service: string,
    name: string,
  ): MethodCodec<Request, Response> => {
    const constructor = root[service] as grpc.ServiceClientConstructor;
    const m = constructor.service[name] as grpc.MethodDefinition<Request, Response>;
    return { path: m.path, serialize: m.requestSerialize, deserialize: m.responseDeserialize };
  };
  etcdMethods = {
    put: method('KV', 'Put'),
    range: method('KV', 'Range'),
    status: method('Maintenance', 'Status'),
  };
  return etcdMethods;
}

export interface EtcdTimers {
  heartbeatMs: number;
  electionMs: number;
}

export const ETCD_DEFAULT_TIMERS: EtcdTimers = { heartbeatMs: 100, electionMs: 1_000 };

/** Installs etcd-server with apt when `etcd` is not on PATH; returns its version line. */
export function ensureEtcdInstalled(): string {
  const probe = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return probe.stdout.split('\n')[0] ?? 'etcd';
  console.log('etcd not found: installing Debian etcd-server (apt-get) …');
  const install = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y etcd-server'], {
    stdio: 'inherit',
  });
  if (install.status !== 0)
    throw new Error('could not install etcd-server with apt-get; install it and retry');
  const again = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (again.status !== 0) throw new Error('etcd-server installed but `etcd --version` fails');
  return again.stdout.split('\n')[0] ?? 'etcd';
}

interface Member {
  name: string;
  clientAddress: string;
  peerUrl: string;
  dataDir: string;
  logFile: string;
  child?: ChildProcess;
  exited: Promise<void>;
  running: boolean;
}

export class EtcdCluster {
  readonly baseDir: string;
  readonly members = new Map<string, Member>();
  readonly timers: EtcdTimers;

  private constructor(baseDir: string, timers: EtcdTimers) {
    this.baseDir = baseDir;
    this.timers = timers;
  }

  static async start(size: number, timers: EtcdTimers = ETCD_DEFAULT_TIMERS): Promise<EtcdCluster> {
    const cluster = new EtcdCluster(mkdtempSync(join(tmpdir(), 'baton-etcd-')), timers);
    const ports = await freePorts(size * 2);
    for (let i = 0; i < size; i++) {
      const name = `e${i + 1}`;
      cluster.members.set(name, {
        name,
        clientAddress: `127.0.0.1:${ports[i]!}`,
        peerUrl: `http://127.0.0.1:${ports[size + i]!}`,
        dataDir: join(cluster.baseDir, name),
        logFile: join(cluster.baseDir, `${name}.log`),
        exited: Promise.resolve(),
        running: false,
      });
    }
    for (const name of cluster.members.keys()) cluster.launch(name);
    return cluster;
  }

  address(name: string): string {
    return this.member(name).clientAddress;
  }

  addresses(): string[] {
    return [...this.members.values()].map((m) => m.clientAddress);
  }

  private member(name: string): Member {
    const member = this.members.get(name);
    if (member === undefined) throw new Error(`no etcd member ${name}`);
    return member;
  }

  private launch(name: string): void {
    const member = this.member(name);
    const initialCluster = [...this.members.values()]
      .map((m) => `${m.name}=${m.peerUrl}`)
      .join(',');
    const clientUrl = `http://${member.clientAddress}`;
    const args = [
      '--name',
      name,
      '--data-dir',
      member.dataDir,
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      member.peerUrl,
      '--initial-advertise-peer-urls',
      member.peerUrl,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      'baton-bench',
      '--initial-cluster-state',
      'new',
      '--heartbeat-interval',
      String(this.timers.heartbeatMs),
      '--election-timeout',
      String(this.timers.electionMs),
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
    ];
    const logFd = openSync(member.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn('etcd', args, { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    member.child = child;
    member.running = true;
    member.exited = new Promise((resolve) => {
      child.on('exit', () => {
        member.running = false;
        resolve();
      });
    });
  }

  async kill(name: string): Promise<void> {
    const member = this.member(name);
    member.child?.kill('SIGKILL');
    await member.exited;
  }

  async restart(name: string): Promise<void> {
    this.launch(name);
    await Promise.resolve();
  }

  /**
   * The last lines of every member's log, for an error message: shutdown() deletes the logs
   * with the data, so a message that only named their directory would point at nothing.
   */
  logTails(lines = 5): string {
    return [...this.members.values()]
      .map((member) => {
        let text = '';
        try {
          text = readFileSync(member.logFile, 'utf8');
        } catch {
          text = '(no log)';
        }
        const tail = text.trimEnd().split('\n').slice(-lines).join('\n  ');
        return `${member.name} (${member.running ? 'running' : 'exited'}):\n  ${tail}`;
      })
      .join('\n');
  }

  runningNames(): string[] {
    return [...this.members.values()].filter((m) => m.running).map((m) => m.name);
  }

  async shutdown(): Promise<void> {
    for (const member of this.members.values()) if (member.running) member.child?.kill('SIGTERM');
    await Promise.all([...this.members.values()].map((m) => m.exited));
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** The running members' process ids. */
  processIds(): number[] {
    return [...this.members.values()].flatMap((m) =>
      m.running && m.child?.pid !== undefined ? [m.child.pid] : [],
    );
  }

  /** SIGSTOP (pause) or SIGCONT (resume) every running member. */
  signalAll(signal: 'SIGSTOP' | 'SIGCONT'): void {
    for (const member of this.members.values()) if (member.running) member.child?.kill(signal);
  }

  killAllNow(): void {
    for (const member of this.members.values()) if (member.running) member.child?.kill('SIGKILL');
  }
}

export interface EtcdMemberStatus {
  memberId: string;
  leaderId: string;
  appliedIndex: number;
}

/**
 * Puts with the same retry loop as BatonClient minus the leader hint (etcd gives none): on a
 * retryable failure the next endpoint is tried after a short backoff.
 */
export class EtcdClient {
  readonly pool: ChannelPool;
  readonly retry: RetryPolicy;
  /** Failed attempts by gRPC status name (a held request shows up as DEADLINE_EXCEEDED). */
  readonly retriesByCode = new Map<string, number>();
  private readonly endpoints: string[];
  private preferred: string;
  private next = 0;

  constructor(
    endpoints: readonly string[],
    channels?: Partial<ChannelSettings>,
    retry?: Partial<RetryPolicy>,
  ) {
    this.endpoints = [...endpoints];
    this.preferred = this.endpoints[0]!;
    this.pool = new ChannelPool(channels);
    this.retry = { ...DEFAULT_RETRY_POLICY, ...retry };
  }

  /** Sends puts to this endpoint first (the leader, for the throughput runs). */
  prefer(address: string): void {
    this.preferred = address;
  }

  async status(address: string, deadlineMs = 500): Promise<EtcdMemberStatus> {
    const response = await this.pool.unary(address, methods().status, {}, deadlineMs);
    return {
      memberId: response.header.memberId,
      leaderId: response.leader,
      appliedIndex: Number(response.raftAppliedIndex),
    };
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const startMs = performance.now();
    let backoffMs = this.retry.backoffMinMs;
    let attempts = 0;
    let target = this.preferred;
    for (;;) {
      attempts++;
      try {
        await this.pool.unary(
          target,
          methods().put,
          { key: Buffer.from(key), value },
          this.retry.attemptDeadlineMs,
        );
        this.preferred = target;
        return;
      } catch (error) {
        const code = isServiceError(error) ? grpc.status[error.code] : 'OTHER';
        this.retriesByCode.set(code, (this.retriesByCode.get(code) ?? 0) + 1);
        if (performance.now() - startMs >= this.retry.budgetMs) {
          throw new RetryBudgetExhaustedError('etcd Put', attempts, this.retry.budgetMs, {
            cause: error,
          });
        }
        this.next++;
        let candidate = this.endpoints[this.next % this.endpoints.length]!;
        if (candidate === target) candidate = this.endpoints[++this.next % this.endpoints.length]!;
        target = candidate;
        await sleep(backoffMs);
        backoffMs = Math.min(this.retry.backoffMaxMs, backoffMs * 2);
      }
    }
  }

  async getSerializable(address: string, key: string): Promise<Uint8Array | undefined> {
    const response = await this.pool.unary(
      address,
      methods().range,
      { key: Buffer.from(key), serializable: true },
      this.retry.attemptDeadlineMs,
    );
    return response.kvs[0]?.value;
  }

  close(): void {
    this.pool.close();
  }
}

/** Waits until a running member names a leader that is itself running; returns its name. */
export async function waitForEtcdLeader(
  cluster: EtcdCluster,
  client: EtcdClient,
  timeoutMs = 30_000,
): Promise<string> {
  const startMs = performance.now();
  for (;;) {
    const byId = new Map<string, string>();
    const leaders = new Set<string>();
    for (const name of cluster.runningNames()) {
      try {
        const status = await client.status(cluster.address(name));
        byId.set(status.memberId, name);
        if (status.leaderId !== '0') leaders.add(status.leaderId);
      } catch {
        // Not up yet.
      }
    }
    if (leaders.size === 1) {
      const name = byId.get([...leaders][0]!);
      if (name !== undefined) return name;
    }
    // Every member gone: no point waiting out the timeout.
    const allExited = cluster.runningNames().length === 0;
    if (allExited || performance.now() - startMs > timeoutMs) {
      const what = allExited
        ? 'every etcd member exited'
        : `etcd elected no leader within ${timeoutMs} ms`;
      throw new WaitTimeoutError(`${what}; its members' last log lines:\n${cluster.logTails()}`);
    }
    await sleep(50);
  }
}

/** Waits until every running member has applied at least `index`. */
export async function waitForEtcdApplied(
  cluster: EtcdCluster,
  client: EtcdClient,
  index: number,
  timeoutMs = 30_000,
): Promise<void> {
  const startMs = performance.now();
  for (;;) {
    let behind = 0;
    for (const name of cluster.runningNames()) {
      try {
        if ((await client.status(cluster.address(name))).appliedIndex < index) behind++;
      } catch {
        behind++;
      }
    }
    if (behind === 0) return;
    if (performance.now() - startMs > timeoutMs) {
      throw new WaitTimeoutError(
        `etcd members did not apply index ${index} within ${timeoutMs} ms`,
      );
    }
    await sleep(50);
  }
}
