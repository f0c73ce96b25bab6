/**
 * `npm start` as a user runs it (the launcher in cluster/local.ts, the real CLI binary), on free
 * ports so it does not collide with a developer's own local cluster: a node removed with
 * `baton cluster remove-node` stops by itself while the others keep serving, and a later start on
 * the same data is refused with the reason on the launcher's terminal.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../src/lib/testing/ports.ts';
import { waitUntil } from './lib/index.ts';

const LAUNCHER = fileURLToPath(new URL('./local.ts', import.meta.url));
const BATON_BIN = fileURLToPath(new URL('../bin/baton.js', import.meta.url));
const TIMEOUT_MS = 120_000;

interface Launched {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

function launch(dataDir: string, ports: number[], metricsPorts: number[]): Launched {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      LAUNCHER,
      '--data',
      dataDir,
      '--ports',
      ports.join(','),
      '--metrics-ports',
      metricsPorts.join(','),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => output.push(chunk));
  }
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });
  return { child, output, exited };
}

const running: Launched[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  // Ctrl-C, as a user would: the launcher stops its (detached) nodes before it exits.
  for (const launched of running.splice(0)) {
    if (launched.child.exitCode === null) launched.child.kill('SIGINT');
    await launched.exited;
  }
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe('npm start', () => {
  it(
    'keeps serving when a node is removed, and refuses that node on the next start',
    async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'baton-local-'));
      const ports = await freePorts(6);
      const [listen, metrics] = [ports.slice(0, 3), ports.slice(3)];
      const endpoints = listen.map((port) => `127.0.0.1:${port}`);
      const baton = (...args: string[]): Promise<{ stdout: string }> =>
        promisify(execFile)(BATON_BIN, [...args, '-e', endpoints.join(',')], { timeout: 60_000 });

      const first = launch(dataDir, listen, metrics);
      running.push(first);
      const said = (text: string): boolean => first.output.join('').includes(text);
      await waitUntil('a leader', () => said('leader: n'), 60_000);
      expect((await baton('kv', 'put', 'a', 'b')).stdout).toContain('ok');

      // A follower: the leader itself must be moved off first (the API says so).
      const leader = /leader {2}(n\d) at/.exec((await baton('cluster', 'status')).stdout)?.[1];
      const victim = ['n1', 'n2', 'n3'].find((id) => id !== leader)!;
      await baton('cluster', 'remove-node', '--id', victim);
      await waitUntil(
        `the launcher to report ${victim} gone`,
        () =>
          said(`node ${victim} was removed from the cluster and stopped; the others keep running`),
        30_000,
      );
      expect((await baton('kv', 'put', 'c', 'd')).stdout).toContain('ok');
      expect((await baton('kv', 'get', 'a')).stdout).toBe('b\n');
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      expect(said('all nodes stopped.')).toBe(true);

      const second = launch(dataDir, listen, metrics);
      running.push(second);
      expect(await second.exited).toBe(1);
      expect(second.output.join('')).toContain(
        `node ${victim} exited ({"code":1,"signal":null}): baton: node ${victim} was removed from cluster local`,
      );
    },
    TIMEOUT_MS,
  );
});
