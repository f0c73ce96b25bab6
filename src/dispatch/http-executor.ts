/**
 * The leader's HTTP-task executor: activates tasks of type `baton.http` like a worker (so every
 * call it makes is backed by a committed lease), performs the request the engine put in the task,
 * and proposes CompleteTask with `{status, headers, body}` — the engine checks `expectedStatus`
 * — or FailTask when the call could not be made. Work is at-least-once: a leader that dies
 * mid-call leaves the lease to expire and the task is retried by its successor.
 */
import { HTTP_TASK_TYPE } from '../engine/index.ts';
import type { ActivatedTask, Command, HttpRequestSpec, JsonValue } from '../engine/index.ts';
import type { Logger } from '../observability/index.ts';
import { engineProposal } from '../replica/index.ts';
import type { Replica } from '../replica/index.ts';
import { NO_DISPATCH_METRICS, statusClass } from './metrics.ts';
import type { DispatchMetrics, HttpCallOutcome } from './metrics.ts';
import { newSeed, stampNowMs } from './stamp.ts';

/** HTTP calls in flight at once on the leader. */
export const MAX_HTTP_CALLS_IN_FLIGHT = 32;
/** Largest response body taken as a task's output (the engine's payload limit is 256 KiB). */
export const MAX_HTTP_RESPONSE_BYTES = 192 * 1024;
/** How long one activation long-poll waits before it is renewed. */
const ACTIVATION_POLL_MS = 5_000;
/** Pause after a failed activation before the next one. */
const ACTIVATION_RETRY_MS = 200;

export interface HttpActivator {
  activate(request: {
    taskType: string;
    workerId: string;
    maxTasks: number;
    timeoutMs: number;
  }): Promise<ActivatedTask[]>;
}

type Outcome =
  | { ok: true; status: number; output: JsonValue }
  | { ok: false; code: string; message: string; retryable: boolean };

export class HttpExecutor {
  private active = false;
  /** Bumped on every start: a loop of an earlier leadership ends instead of running twice. */
  private generation = 0;
  private inFlight = 0;
  private slotFreed: (() => void) | null = null;
  /** Calls completed or failed since start (for tests and metrics). */
  reported = 0;

  constructor(
    private readonly activator: HttpActivator,
    private readonly replica: Pick<Replica, 'propose' | 'id'>,
    private readonly logger: Logger,
    private readonly metrics: DispatchMetrics = NO_DISPATCH_METRICS,
  ) {}

  /** Calls being made now. */
  callsInFlight(): number {
    return this.inFlight;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.generation += 1;
    void this.loop(this.generation);
  }

  stop(): void {
    this.active = false;
    this.slotFreed?.();
  }

  private async loop(generation: number): Promise<void> {
    const current = (): boolean => this.active && this.generation === generation;
    while (current()) {
      if (this.inFlight >= MAX_HTTP_CALLS_IN_FLIGHT) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        this.slotFreed = null;
        continue;
      }
      let tasks: ActivatedTask[];
      try {
        tasks = await this.activator.activate({
          taskType: HTTP_TASK_TYPE,
          workerId: `leader-http:${this.replica.id}`,
          maxTasks: MAX_HTTP_CALLS_IN_FLIGHT - this.inFlight,
          timeoutMs: ACTIVATION_POLL_MS,
        });
      } catch (error) {
        if (!current()) return;
        this.logger.debug({ err: error }, 'http task activation failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, ACTIVATION_RETRY_MS));
        continue;
      }
      // Leased but not run when stopping: the leases expire and the next leader retries them.
      if (!current()) return;
      for (const task of tasks) {
        this.inFlight += 1;
        void this.execute(task).finally(() => {
          this.inFlight -= 1;
          this.slotFreed?.();
        });
      }
    }
  }

  private async execute(task: ActivatedTask): Promise<void> {
    const startedMs = performance.now();
    const outcome =
      task.http === undefined ? badTask('the task carries no request') : await call(task.http);
    this.metrics.httpCall(outcomeLabel(outcome), (performance.now() - startedMs) / 1000);
    const nowMs = stampNowMs();
    const command: Command = outcome.ok
      ? {
          type: 'CompleteTask',
          taskId: task.taskId,
          attempt: task.attempt,
          output: outcome.output,
          nowMs,
          seed: newSeed(),
        }
      : {
          type: 'FailTask',
          taskId: task.taskId,
          attempt: task.attempt,
          error: { code: outcome.code, message: outcome.message, retryable: outcome.retryable },
          nowMs,
          seed: newSeed(),
        };
    try {
      await this.replica.propose(engineProposal(command));
      this.reported += 1;
    } catch (error) {
      this.logger.warn(
        { err: error, taskId: task.taskId },
        'http task result not recorded; its lease will expire and it is retried',
      );
    }
  }
}

const FAILURE_LABELS: Readonly<Record<string, HttpCallOutcome>> = {
  HTTP_TIMEOUT: 'timeout',
  HTTP_UNREACHABLE: 'unreachable',
  HTTP_RESPONSE_TOO_LARGE: 'response_too_large',
};

function outcomeLabel(outcome: Outcome): HttpCallOutcome {
  if (outcome.ok) return statusClass(outcome.status);
  return FAILURE_LABELS[outcome.code] ?? 'invalid_request';
}

function badTask(message: string): Outcome {
  return { ok: false, code: 'HTTP_BAD_REQUEST', message, retryable: false };
}

async function call(spec: HttpRequestSpec): Promise<Outcome> {
  if (typeof spec.url !== 'string' || !/^https?:\/\//.test(spec.url))
    return badTask(`url ${JSON.stringify(spec.url)} is not an http(s) URL`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) {
    headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  let body: string | undefined;
  if (spec.body !== undefined && spec.body !== null) {
    body = typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
    if (
      typeof spec.body !== 'string' &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
    )
      headers['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(spec.url, {
      method: spec.method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(spec.timeoutMs),
      redirect: 'follow',
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return {
      ok: false,
      code: timedOut ? 'HTTP_TIMEOUT' : 'HTTP_UNREACHABLE',
      message: timedOut
        ? `${spec.method} ${spec.url} did not answer within ${spec.timeoutMs} ms`
        : `${spec.method} ${spec.url} failed: ${error instanceof Error ? error.message : String(error)}`,
      retryable: true,
    };
  }
  const text = await readBounded(response);
  if (text === null) {
    return {
      ok: false,
      code: 'HTTP_RESPONSE_TOO_LARGE',
      message: `${spec.method} ${spec.url} answered more than ${MAX_HTTP_RESPONSE_BYTES} bytes`,
      retryable: false,
    };
  }
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  return {
    ok: true,
    status: response.status,
    output: { status: response.status, headers: responseHeaders, body: parseBody(text, response) },
  };
}

/** The body as text, or null past MAX_HTTP_RESPONSE_BYTES (the rest is not read). */
async function readBounded(response: Response): Promise<string | null> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early cancels the stream: the rest of a too-large body is never read.
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > MAX_HTTP_RESPONSE_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, response: Response): JsonValue {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json') || text === '') return text;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
