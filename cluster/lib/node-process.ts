/**
 * One real `baton server` process: started with its flags, its stdout and stderr written to a
 * log file, signalled, restarted. The harness spawns node itself (not through npx or a tsx
 * wrapper) so that the pid it signals is the node's: kill -9 must hit the server, not a parent.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import { NodeProcessError } from './errors.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How to run the baton binary: an executable and the arguments before `server`. */
export interface NodeCommand {
  executable: string;
  argsPrefix: readonly string[];
}

/**
 * `BATON_NODE_COMMAND` (space separated) wins; otherwise bin/baton.js (which registers tsx in
 * the same process), or src/cli/index.ts under tsx's loader, in this same node binary, with the
 * server's V8 flags (spawning node directly bypasses the shebang that carries them).
 */
export function defaultNodeCommand(): NodeCommand {
  const override = process.env['BATON_NODE_COMMAND'];
  if (override !== undefined && override.trim().length > 0) {
    const [executable, ...argsPrefix] = override.trim().split(/\s+/);
    return { executable: executable!, argsPrefix };
  }
  const bin = `${REPO_ROOT}bin/baton.js`;
  if (existsSync(bin))
    return { executable: process.execPath, argsPrefix: [...SERVER_NODE_FLAGS, bin] };
  return {
    executable: process.execPath,
    argsPrefix: [...SERVER_NODE_FLAGS, '--import', 'tsx', `${REPO_ROOT}src/cli/index.ts`],
  };
}

export interface NodeSpec {
  id: string;
  /** host:port for clients and peers. */
  address: string;
  /** host:port for /metrics, /healthz, /readyz. */
  metricsAddress: string;
  dataDir: string;
  logFile: string;
}

export interface StartOptions {
  /** Other members, id → address (the node's --peers). */
  peers: ReadonlyMap<string, string>;
  clusterId: string;
  join: boolean;
  extraArgs: readonly string[];
  env: Readonly<Record<string, string>>;
  command: NodeCommand;
  /** Called with each output line instead of writing the log file (for `npm start`). */
  onLine?: (line: string) => void;
  /**
   * Run in its own process group, so a Ctrl-C in the terminal reaches only the harness, which
   * then stops the nodes in order (SIGTERM), and so `cluster up` can leave them running.
   */
  detached?: boolean;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot `baton` command (not a server) to completion, with its output. */
export function runCommand(
  command: NodeCommand,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command.executable,
      [...command.argsPrefix, ...args],
      { cwd: REPO_ROOT, timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          // Not an exit status: it could not start, or outlived the timeout.
          reject(new NodeProcessError(`baton ${args.join(' ')}: ${error.message}`));
          return;
        }
        resolve({ code: child.exitCode, stdout, stderr });
      },
    );
  });
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export const LOG_TAIL_BYTES_MAX = 4_000;

export class NodeProcess {
  readonly spec: NodeSpec;
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private lastExit: ExitInfo | undefined;

  constructor(spec: NodeSpec) {
    this.spec = spec;
  }

  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get exitInfo(): ExitInfo | undefined {
    return this.lastExit;
  }

  serverArgs(options: StartOptions): string[] {
    const peers = [...options.peers].map(([id, address]) => `${id}=${address}`).join(',');
    const args = [
      ...options.command.argsPrefix,
      'server',
      '--id',
      this.spec.id,
      '--listen',
      this.spec.address,
      '--data',
      this.spec.dataDir,
      '--metrics-listen',
      this.spec.metricsAddress,
      '--cluster-id',
      options.clusterId,
    ];
    if (peers.length > 0) args.push('--peers', peers);
    if (options.join) args.push('--join');
    args.push(...options.extraArgs);
    return args;
  }

  start(options: StartOptions): void {
    if (this.running) throw new NodeProcessError(`node ${this.spec.id} is already running`);
    const args = this.serverArgs(options);
    const env = { ...process.env, ...options.env };
    let child: ChildProcess;
    if (options.onLine === undefined) {
      const logFd = openSync(this.spec.logFile, 'a');
      try {
        child = spawn(options.command.executable, args, {
          cwd: REPO_ROOT,
          env,
          stdio: ['ignore', logFd, logFd],
          detached: options.detached ?? false,
        });
      } finally {
        closeSync(logFd);
      }
    } else {
      child = spawn(options.command.executable, args, {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: options.detached ?? false,
      });
      const onLine = options.onLine;
      for (const stream of [child.stdout, child.stderr]) {
        let pending = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          const lines = (pending + chunk).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) onLine(line);
        });
      }
    }
    this.child = child;
    this.lastExit = undefined;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.lastExit = { code, signal };
        resolve(this.lastExit);
      });
      child.on('error', () => {
        this.lastExit = { code: null, signal: null };
        resolve(this.lastExit);
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running) throw new NodeProcessError(`node ${this.spec.id} is not running`);
    this.child!.kill(signal);
  }

  /** Resolves when the process has exited; SIGKILLs it if it has not after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitInfo> {
    if (this.exited === undefined)
      throw new NodeProcessError(`node ${this.spec.id} was never started`);
    if (this.lastExit !== undefined) return this.lastExit;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, timeoutMs);
    });
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return outcome;
    this.child?.kill('SIGKILL');
    return this.exited;
  }

  /** Lets the harness exit while the node keeps running (`cluster up`). */
  detach(): void {
    this.child?.unref();
  }

  /** Kills without waiting; used on harness exit so no node outlives its test. */
  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  logTail(): string {
    if (!existsSync(this.spec.logFile)) return '(no log file)';
    const text = readFileSync(this.spec.logFile, 'utf8');
    return text.slice(-LOG_TAIL_BYTES_MAX);
  }
}
