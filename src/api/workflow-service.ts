/**
 * The Workflow gRPC service: definitions, instances and the worker protocol. On the leader a
 * write is stamped (time, ids, seed: DESIGN.md rule 3), proposed, and answered once applied; the
 * engine's rejections become gRPC statuses here. Reads are linearizable (ReadIndex) unless the
 * request asks for `stale`. A follower forwards writes and linearizable reads to the leader.
 */
import * as grpc from '@grpc/grpc-js';
import type { ApiSettings } from '../config/index.ts';
import {
  EngineRejectionError,
  MAX_LONG_POLL_MS,
  newSeed,
  newWorkflowId,
  stampNowMs,
} from '../dispatch/index.ts';
import type { Dispatcher } from '../dispatch/index.ts';
import {
  formatHistory,
  getDefinition,
  getInstance,
  listDefinitions,
  listInstances,
} from '../engine/index.ts';
import type {
  ActivatedTask,
  Command,
  EngineResponse,
  EngineResult,
  InstanceView,
  ListFilter,
} from '../engine/index.ts';
import type { ActivateTasksResponse } from '../gen/baton/v1/ActivateTasksResponse.ts';
import type { GetWorkflowResponse } from '../gen/baton/v1/GetWorkflowResponse.ts';
import type { OperationResponse } from '../gen/baton/v1/OperationResponse.ts';
import type { WorkflowClient, WorkflowHandlers } from '../gen/baton/v1/Workflow.ts';
import type { Logger, NodeMetrics } from '../observability/index.ts';
import { engineProposal } from '../replica/index.ts';
import type { Replica } from '../replica/index.ts';
import { ValidationError } from './errors.ts';
import { WorkflowNotFoundError } from './workflow-errors.ts';
import { FAST_RECONNECT_CHANNEL_OPTIONS, ForwardingRouter, hopsOf } from './forwarder.ts';
import { ForwardedCallError, HOPS_METADATA_KEY, statusName, toServiceError } from './status.ts';
import { workflowProto } from './workflow-proto.ts';
import {
  validateAttempt,
  validateFormat,
  validateJson,
  validateMaxTasks,
  validateName,
  validateReusePolicy,
  validateSource,
  validateStatus,
  validateTaskId,
  validateWorkflowId,
} from './workflow-validation.ts';

/** Extra time a forwarded long-poll gets beyond its own wait, for the leader to answer. */
const LONG_POLL_FORWARD_MARGIN_MS = 5_000;

export interface WorkflowApiOptions {
  readonly replica: Replica;
  readonly dispatcher: Dispatcher;
  readonly settings: ApiSettings;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
}

type Method = keyof WorkflowHandlers & string;
type Invoke = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<unknown>,
) => grpc.ClientUnaryCall;

/** How a method is routed: writes go to the leader; reads too unless `stale`. */
interface Route<Req> {
  readonly kind: 'write' | 'read';
  readonly stale?: (request: Req) => boolean;
  /** The longest the leader may hold the call (long-polls). */
  readonly holdMs?: (request: Req) => number;
}

export class WorkflowApi {
  private readonly replica: Replica;
  private readonly dispatcher: Dispatcher;
  private readonly settings: ApiSettings;
  private readonly logger: Logger;
  private readonly metrics: NodeMetrics;
  private readonly router: ForwardingRouter;
  /** Map order is recency order: the least recently used client is closed first. */
  private readonly clients = new Map<string, WorkflowClient>();

  constructor(options: WorkflowApiOptions) {
    this.replica = options.replica;
    this.dispatcher = options.dispatcher;
    this.settings = options.settings;
    this.router = new ForwardingRouter(options.replica, options.settings.maxForwardHops);
    this.logger = options.logger;
    this.metrics = options.metrics;
  }

  register(server: grpc.Server): void {
    server.addService(workflowProto().Workflow.service, this.handlers());
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private handlers(): WorkflowHandlers {
    const write = { kind: 'write' } as const;
    const operation = (
      method: Method,
      type:
        | 'CancelWorkflow'
        | 'TerminateWorkflow'
        | 'PauseWorkflow'
        | 'ResumeWorkflow'
        | 'RetryWorkflow'
        | 'RestartWorkflow',
    ): grpc.handleUnaryCall<{ workflowId: string; reason: string }, OperationResponse> =>
      this.unary(method, write, async (request: { workflowId: string; reason: string }) => {
        const instanceId = validateWorkflowId('workflow_id', request.workflowId);
        const reason = request.reason === '' ? {} : { reason: request.reason.slice(0, 1024) };
        const nowMs = stampNowMs();
        const command: Command =
          type === 'TerminateWorkflow'
            ? { type, instanceId, nowMs, ...reason }
            : type === 'PauseWorkflow'
              ? { type, instanceId, nowMs }
              : type === 'CancelWorkflow'
                ? { type, instanceId, nowMs, seed: newSeed(), ...reason }
                : { type, instanceId, nowMs, seed: newSeed() };
        if (type === 'RetryWorkflow' || type === 'RestartWorkflow') this.replica.admitClientWrite();
        const response = await this.propose(command);
        return operationResponse(response);
      });
    return {
      RegisterDefinition: this.unary('RegisterDefinition', write, async (request) => {
        const command: Command = {
          type: 'RegisterDefinition',
          source: validateSource(request.source),
          format: validateFormat(request.format),
          nowMs: stampNowMs(),
        };
        this.replica.admitClientWrite();
        const response = await this.propose(command);
        if (response.type !== 'RegisterDefinition') return {};
        return { name: response.name, version: response.version, created: response.created };
      }),
      GetDefinition: this.unary('GetDefinition', readRoute(), async (request) => {
        const name = validateName('name', request.name);
        const found = await getDefinition(
          this.replica.reader(),
          name,
          request.version === 0 ? undefined : request.version,
        );
        if (found === undefined) {
          throw new WorkflowNotFoundError(
            request.version === 0
              ? `no definition named ${name}`
              : `definition ${name} has no version ${request.version}`,
          );
        }
        return {
          name: found.name,
          version: found.version,
          registeredMs: found.registeredMs,
          definitionJson: found.definition,
        };
      }),
      ListDefinitions: this.unary('ListDefinitions', readRoute(), async (request) => {
        const definitions = await listDefinitions(this.replica.reader(), {
          ...(request.afterName === '' ? {} : { afterName: request.afterName }),
          ...(request.pageSize === 0 ? {} : { pageSize: request.pageSize }),
        });
        return { definitions };
      }),
      StartWorkflow: this.unary('StartWorkflow', write, async (request) => {
        const input = validateJson('input_json', request.inputJson, {});
        const reusePolicy = validateReusePolicy(request.reusePolicy);
        const command: Command = {
          type: 'StartWorkflow',
          instanceId:
            request.workflowId === ''
              ? newWorkflowId()
              : validateWorkflowId('workflow_id', request.workflowId),
          definitionName: validateName('definition_name', request.definitionName),
          ...(request.version === 0 ? {} : { version: request.version }),
          ...(input === undefined ? {} : { input }),
          ...(request.businessKey === ''
            ? {}
            : { businessKey: validateName('business_key', request.businessKey) }),
          ...(reusePolicy === undefined ? {} : { reusePolicy }),
          nowMs: stampNowMs(),
          seed: newSeed(),
        };
        this.replica.admitClientWrite();
        const response = await this.propose(command);
        if (response.type !== 'StartWorkflow') return {};
        return {
          workflowId: response.instanceId,
          status: response.status,
          existing: response.existing,
        };
      }),
      GetWorkflow: this.unary('GetWorkflow', readRoute(), async (request) => {
        const instanceId = validateWorkflowId('workflow_id', request.workflowId);
        const index = this.replica.appliedIndex();
        const view = await getInstance(this.replica.reader(), instanceId, {
          includeHistory: request.includeHistory,
          ...(request.historyPageSize === 0 ? {} : { historyPageSize: request.historyPageSize }),
        });
        if (view === undefined)
          throw new WorkflowNotFoundError(`no workflow with id ${instanceId}`);
        return workflowResponse(view, index);
      }),
      ListWorkflows: this.unary('ListWorkflows', readRoute(), async (request) => {
        const status = validateStatus(request.status);
        const filter: ListFilter = {
          ...(request.definitionName === '' ? {} : { definitionName: request.definitionName }),
          ...(status === undefined ? {} : { status }),
          ...(request.businessKey === '' ? {} : { businessKey: request.businessKey }),
          ...(request.createdFromMs === 0 ? {} : { createdFromMs: request.createdFromMs }),
          ...(request.createdToMs === 0 ? {} : { createdToMs: request.createdToMs }),
        };
        const page = await listInstances(this.replica.reader(), filter, {
          ...(request.pageSize === 0 ? {} : { pageSize: request.pageSize }),
          ...(request.pageToken === '' ? {} : { pageToken: request.pageToken }),
        });
        return {
          workflows: page.instances.map((s) => ({
            workflowId: s.instanceId,
            definitionName: s.definitionName,
            definitionVersion: s.definitionVersion,
            businessKey: s.businessKey ?? '',
            status: s.status,
            createdMs: s.createdMs,
            closedMs: s.closedMs ?? 0,
          })),
          nextPageToken: page.nextPageToken ?? '',
        };
      }),
      Signal: this.unary('Signal', write, async (request) => {
        const payload = validateJson('payload_json', request.payloadJson, undefined);
        const command: Command = {
          type: 'Signal',
          instanceId: validateWorkflowId('workflow_id', request.workflowId),
          name: validateName('name', request.name),
          ...(payload === undefined ? {} : { payload }),
          ...(request.signalId === '' ? {} : { signalId: request.signalId.slice(0, 128) }),
          nowMs: stampNowMs(),
          seed: newSeed(),
        };
        this.replica.admitClientWrite();
        return operationResponse(await this.propose(command));
      }),
      Cancel: operation('Cancel', 'CancelWorkflow'),
      Terminate: operation('Terminate', 'TerminateWorkflow'),
      Pause: operation('Pause', 'PauseWorkflow'),
      Resume: operation('Resume', 'ResumeWorkflow'),
      Retry: operation('Retry', 'RetryWorkflow'),
      Restart: operation('Restart', 'RestartWorkflow'),
      ActivateTasks: this.unary(
        'ActivateTasks',
        { kind: 'write', holdMs: (request) => Math.min(request.timeoutMs, MAX_LONG_POLL_MS) },
        async (request, signal): Promise<ActivateTasksResponse> => {
          if (request.timeoutMs > MAX_LONG_POLL_MS)
            throw new ValidationError(
              'timeout_ms',
              `is ${request.timeoutMs}; the limit is ${MAX_LONG_POLL_MS}`,
            );
          const tasks = await this.dispatcher.activate({
            taskType: validateName('task_type', request.taskType),
            workerId: validateName('worker_id', request.workerId),
            maxTasks: validateMaxTasks(request.maxTasks),
            timeoutMs: request.timeoutMs,
            signal,
          });
          return { tasks: tasks.map(activatedTask) };
        },
      ),
      CompleteTask: this.unary('CompleteTask', write, async (request) => {
        const output = validateJson('output_json', request.outputJson, null);
        const response = await this.propose({
          type: 'CompleteTask',
          taskId: validateTaskId('task_id', request.taskId),
          attempt: validateAttempt(request.attempt),
          ...(output === undefined ? {} : { output }),
          nowMs: stampNowMs(),
          seed: newSeed(),
        });
        return taskAck(response);
      }),
      FailTask: this.unary('FailTask', write, async (request) => {
        const details = validateJson('details_json', request.detailsJson, undefined);
        const response = await this.propose({
          type: 'FailTask',
          taskId: validateTaskId('task_id', request.taskId),
          attempt: validateAttempt(request.attempt),
          error: {
            code: request.errorCode === '' ? 'TASK_FAILED' : request.errorCode.slice(0, 128),
            message: request.errorMessage.slice(0, 4096),
            ...(request.nonRetryable ? { retryable: false } : {}),
            ...(details === undefined ? {} : { details }),
          },
          nowMs: stampNowMs(),
          seed: newSeed(),
        });
        return taskAck(response);
      }),
      HeartbeatTask: this.unary('HeartbeatTask', write, async (request) => {
        const response = await this.propose({
          type: 'HeartbeatTask',
          taskId: validateTaskId('task_id', request.taskId),
          attempt: validateAttempt(request.attempt),
          nowMs: stampNowMs(),
        });
        return taskAck(response);
      }),
    };
  }

  private async propose(command: Command): Promise<EngineResponse> {
    const { result } = await this.replica.propose(engineProposal(command));
    const outcome = result as EngineResult;
    if (!outcome.ok) throw new EngineRejectionError(outcome);
    return outcome.response;
  }

  /** Routes one unary method: serve here (leader, or a stale read) or forward to the leader. */
  private unary<Req, Res>(
    method: Method,
    route: Route<Req>,
    serve: (request: Req, signal: AbortSignal) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const gone = new AbortController();
      call.once('cancelled', () => {
        gone.abort();
      });
      const run = async (): Promise<Res> => {
        const request = call.request;
        if (route.kind === 'read' && route.stale?.(request) === true)
          return serve(request, gone.signal);
        const leader = this.leaderOrForward(call);
        if (leader === null) {
          if (route.kind === 'read') await this.replica.readBarrier();
          return serve(request, gone.signal);
        }
        this.metrics.forwarded.inc({ method });
        return this.forward<Res>(
          leader,
          method,
          request,
          call,
          route.holdMs?.(request) ?? 0,
          gone.signal,
        );
      };
      run().then(
        (response) => {
          callback(null, response, this.router.trailerFor(call));
        },
        (error: unknown) => {
          const status = toServiceError(error, this.hint());
          this.metrics.apiErrors.inc({ code: statusName(status.code ?? grpc.status.UNKNOWN) });
          this.logger.debug({ err: error, method }, 'request failed');
          callback(status, null);
        },
      );
    };
  }

  private leaderOrForward(call: grpc.ServerUnaryCall<unknown, unknown>): string | null {
    return this.router.route(call);
  }

  private forward<Res>(
    address: string,
    method: Method,
    request: unknown,
    call: grpc.ServerUnaryCall<unknown, unknown>,
    holdMs: number,
    signal: AbortSignal,
  ): Promise<Res> {
    const client = this.clientFor(address);
    const metadata = new grpc.Metadata();
    metadata.set(HOPS_METADATA_KEY, String(hopsOf(call) + 1));
    const ownDeadline =
      Date.now() +
      this.settings.forwardTimeoutMs +
      (holdMs > 0 ? holdMs + LONG_POLL_FORWARD_MARGIN_MS : 0);
    const callerDeadline = call.getDeadline();
    const deadline =
      callerDeadline === Infinity ? ownDeadline : Math.min(Number(callerDeadline), ownDeadline);
    const methods = client as unknown as Record<string, Invoke | undefined>;
    const start = methods[method];
    if (start === undefined) return Promise.reject(new Error(`no client method ${method}`));
    const invoke = start.bind(client);
    return new Promise<Res>((resolve, reject) => {
      const pending = invoke(request, metadata, { deadline }, (error, response) => {
        if (error !== null) reject(new ForwardedCallError(error));
        else resolve(response as Res);
      });
      // The caller went away: so does the call to the leader (a long-poll frees its slot there).
      signal.addEventListener(
        'abort',
        () => {
          pending.cancel();
        },
        { once: true },
      );
    });
  }

  private clientFor(address: string): WorkflowClient {
    const cached = this.clients.get(address);
    if (cached !== undefined) {
      this.clients.delete(address);
      this.clients.set(address, cached);
      return cached;
    }
    if (this.clients.size >= this.settings.maxForwardClients) {
      const oldest = this.clients.entries().next();
      if (oldest.done !== true) {
        this.clients.delete(oldest.value[0]);
        oldest.value[1].close();
      }
    }
    const client = new (workflowProto().Workflow)(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': this.settings.maxGrpcMessageBytes,
      'grpc.max_send_message_length': this.settings.maxGrpcMessageBytes,
      ...FAST_RECONNECT_CHANNEL_OPTIONS,
    });
    this.clients.set(address, client);
    return client;
  }

  private hint(): { id: string | null; address: string | null } {
    const leader = this.replica.leaderHint();
    return {
      id: leader,
      address: leader === null ? null : (this.replica.addressOf(leader) ?? null),
    };
  }
}

function readRoute<Req extends { stale: boolean }>(): Route<Req> {
  return { kind: 'read', stale: (request) => request.stale };
}

const toJson = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));

function workflowResponse(view: InstanceView, index: number): GetWorkflowResponse {
  const lines = view.history === undefined ? [] : formatHistory(view.history.events);
  return {
    workflowId: view.instanceId,
    definitionName: view.definitionName,
    definitionVersion: view.definitionVersion,
    businessKey: view.businessKey ?? '',
    status: view.status,
    inputJson: toJson(view.input),
    variablesJson: toJson(view.variables),
    outputJson: toJson(view.output),
    error:
      view.error === undefined
        ? null
        : {
            code: view.error.code,
            message: view.error.message,
            ref: view.error.ref ?? '',
            detailsJson: toJson(view.error.details),
          },
    createdMs: view.createdMs,
    updatedMs: view.updatedMs,
    closedMs: view.closedMs ?? 0,
    parentWorkflowId: view.parentInstanceId ?? '',
    currentTasks: view.currentTasks.map((t) => ({
      stepId: t.stepId,
      ref: t.ref,
      kind: t.kind,
      taskId: t.taskId ?? '',
      status: t.status ?? '',
      attempt: t.attempt ?? 0,
      workerId: t.workerId ?? '',
      signalName: t.signalName ?? '',
      childWorkflowId: t.childInstanceId ?? '',
    })),
    history: (view.history?.events ?? []).map((event, i) => ({
      seq: event.seq,
      type: event.type,
      atMs: event.atMs,
      summary: lines[i] ?? '',
      eventJson: JSON.stringify(event),
    })),
    historyTruncatedCount: view.historyTruncatedCount,
    index,
  };
}

function operationResponse(response: EngineResponse): OperationResponse {
  if (response.type === 'Signal')
    return {
      workflowId: response.instanceId,
      delivered: response.delivered,
      duplicate: response.duplicate,
    };
  if ('status' in response) return { workflowId: response.instanceId, status: response.status };
  return {};
}

function taskAck(response: EngineResponse): { taskId: string; duplicate: boolean } {
  if (response.type === 'CompleteTask' || response.type === 'FailTask')
    return { taskId: response.taskId, duplicate: response.duplicate };
  return { taskId: 'taskId' in response ? response.taskId : '', duplicate: false };
}

function activatedTask(task: ActivatedTask): NonNullable<ActivateTasksResponse['tasks']>[number] {
  return {
    taskId: task.taskId,
    attempt: task.attempt,
    workflowId: task.instanceId,
    ref: task.ref,
    taskType: task.taskType,
    inputJson: JSON.stringify(task.input),
    leaseExpiresMs: task.leaseExpiresMs,
  };
}
