/**
 * Real `baton server` processes on loopback for multi-process tests: free ports, temp data
 * directories, spawn through bin/baton.js (tsx, no build), kill -9 or SIGTERM, restart.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import { freePorts } from '../../src/lib/testing/ports.ts';

const BATON_BIN = fileURLToPath(new URL('../../bin/baton.js', import.meta.url));

export interface NodeSpec {
  readonly id: string;
  readonly address: string;
  readonly metricsAddress: string;
  readonly dataDir: string;
}

export interface RunningProcess {
  readonly spec: NodeSpec;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** The last lines the process wrote (for failure messages). */
  readonly output: string[];
}

const OUTPUT_LINES_KEPT = 200;

export class ProcessCluster {
  readonly specs: NodeSpec[] = [];
  readonly running = new Map<string, RunningProcess>();
  private root = '';

  static async create(ids: readonly string[]): Promise<ProcessCluster> {
    const cluster = new ProcessCluster();
    cluster.root = await mkdtemp(join(tmpdir(), 'baton-cluster-'));
    // Distinct ports for every node's gRPC and metrics listeners, reserved before any listens.
    const ports = await freePorts(ids.length * 2);
    for (const [i, id] of ids.entries()) {
      const listenPort = ports[2 * i]!;
      const metricsPort = ports[2 * i + 1]!;
      cluster.specs.push({
        id,
        address: `127.0.0.1:${listenPort}`,
        metricsAddress: `127.0.0.1:${metricsPort}`,
        dataDir: join(cluster.root, id),
      });
    }
    return cluster;
  }

  endpoints(): string[] {
    return this.specs.filter((s) => this.running.has(s.id)).map((s) => s.address);
  }

  spec(id: string): NodeSpec {
    const spec = this.specs.find((s) => s.id === id);
    if (spec === undefined) throw new Error(`unknown node ${id}`);
    return spec;
  }

  start(
    id: string,
    extraArgs: readonly string[] = [],
    founders: readonly string[] = this.specs.map((s) => s.id),
  ): RunningProcess {
    const spec = this.spec(id);
    const peers = this.specs
      .filter((s) => s.id !== id && founders.includes(s.id))
      .map((s) => `${s.id}=${s.address}`)
      .join(',');
    const args = [
      BATON_BIN,
      'server',
      '--id',
      id,
      '--listen',
      spec.address,
      '--peers',
      peers,
      '--data',
      spec.dataDir,
      '--metrics-listen',
      spec.metricsAddress,
      '--cluster-id',
      'smoke',
      '--log-level',
      'info',
      ...extraArgs,
    ];
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        output.push(line);
        if (output.length > OUTPUT_LINES_KEPT) output.shift();
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve(code ?? signal ?? 'unknown');
      });
    });
    const running = { spec, child, exited, output };
    this.running.set(id, running);
    return running;
  }

  /** kill -9: no shutdown, no flush, no hand-off. */
  async kill(id: string): Promise<void> {
    const running = this.running.get(id);
    if (running === undefined) return;
    this.running.delete(id);
    running.child.kill('SIGKILL');
    await running.exited;
  }

  /** SIGTERM: graceful shutdown (a leader hands off leadership first). */
  async terminate(id: string): Promise<number | string> {
    const running = this.running.get(id);
    if (running === undefined) return 'not running';
    this.running.delete(id);
    running.child.kill('SIGTERM');
    return running.exited;
  }

  async close(): Promise<void> {
    for (const id of [...this.running.keys()]) await this.kill(id);
    if (this.root !== '') await rm(this.root, { recursive: true, force: true });
  }
}
