/**
 * `baton definition|workflow|task …`: the Workflow service from the command line. Output is
 * human-readable by default; `--json` prints the raw response for scripts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { ActivateTasksResponse__Output } from '../gen/baton/v1/ActivateTasksResponse.ts';
import type { GetDefinitionResponse__Output } from '../gen/baton/v1/GetDefinitionResponse.ts';
import type { GetWorkflowResponse__Output } from '../gen/baton/v1/GetWorkflowResponse.ts';
import type { ListDefinitionsResponse__Output } from '../gen/baton/v1/ListDefinitionsResponse.ts';
import type { ListWorkflowsResponse__Output } from '../gen/baton/v1/ListWorkflowsResponse.ts';
import type { OperationResponse__Output } from '../gen/baton/v1/OperationResponse.ts';
import type { RegisterDefinitionResponse__Output } from '../gen/baton/v1/RegisterDefinitionResponse.ts';
import type { StartWorkflowRequest } from '../gen/baton/v1/StartWorkflowRequest.ts';
import type { StartWorkflowResponse__Output } from '../gen/baton/v1/StartWorkflowResponse.ts';
import type { TaskAck__Output } from '../gen/baton/v1/TaskAck.ts';
import type { WorkflowClient } from '../gen/baton/v1/Workflow.ts';
import type { CliClient, ClientCall } from './client.ts';

/** Extra deadline a long-poll gets beyond its wait. */
const LONG_POLL_MARGIN_MS = 5_000;

export interface ClientFlags {
  endpoints: string;
  timeoutMs: number;
}

export interface CliHelpers {
  readonly addClientOptions: (command: Command) => Command;
  readonly withClient: <T>(
    flags: ClientFlags,
    work: (client: CliClient) => Promise<T>,
  ) => Promise<T>;
}

type JsonFlag = { json?: boolean };

function nonNegativeInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError('expected a whole number ≥ 0');
  return parsed;
}

/** A JSON argument: inline text, or @file to read it from a file. */
function jsonText(value: string): string {
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  try {
    JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(
      `not valid JSON (${error instanceof Error ? error.message : String(error)}); pass JSON text or @file.json`,
    );
  }
  return text;
}

function print(flags: JsonFlag, response: unknown, human: () => void): void {
  if (flags.json === true) console.log(JSON.stringify(response, null, 2));
  else human();
}

const time = (ms: number): string => (ms === 0 ? '-' : new Date(ms).toISOString());

export function addWorkflowCommands(program: Command, helpers: CliHelpers): void {
  const { addClientOptions, withClient } = helpers;
  const run = <Res>(
    flags: ClientFlags,
    start: ClientCall<WorkflowClient, Res>,
    timeoutMs?: number,
  ): Promise<Res> => withClient(flags, (client) => client.workflow(start, timeoutMs));

  // ------------------------------------------------------------------ definitions
  const definition = program
    .command('definition')
    .description('workflow definitions: register, list, show');
  addClientOptions(
    definition
      .command('register')
      .description(
        'register a definition from a YAML or JSON file (a changed one gets a new version)',
      )
      .argument('<file>', 'the definition file (.yaml, .yml or .json)'),
  )
    .option('--format <format>', 'yaml or json (default: from the file extension)')
    .option('--json', 'print the raw response')
    .action(async (file: string, flags: ClientFlags & JsonFlag & { format?: string }) => {
      const source = readFileSync(file, 'utf8');
      const extension = extname(file).toLowerCase();
      const format =
        flags.format ?? (extension === '.json' ? 'json' : extension === '' ? '' : 'yaml');
      const response = await run<RegisterDefinitionResponse__Output>(flags, (c, m, o, cb) =>
        c.RegisterDefinition({ source, format }, m, o, cb),
      );
      print(flags, response, () => {
        console.log(
          `${response.name} v${response.version} ${response.created ? 'registered' : 'unchanged (already registered)'}`,
        );
      });
    });
  addClientOptions(
    definition.command('list').description('list definitions and their latest version'),
  )
    .option('--after <name>', 'start after this name (paging)')
    .option('--page-size <n>', 'names per page', nonNegativeInt, 100)
    .option('--stale', "read this endpoint's local state, possibly stale")
    .option('--json', 'print the raw response')
    .action(
      async (
        flags: ClientFlags & JsonFlag & { after?: string; pageSize: number; stale?: boolean },
      ) => {
        const response = await run<ListDefinitionsResponse__Output>(flags, (c, m, o, cb) =>
          c.ListDefinitions(
            { afterName: flags.after ?? '', pageSize: flags.pageSize, stale: flags.stale === true },
            m,
            o,
            cb,
          ),
        );
        print(flags, response, () => {
          if (response.definitions.length === 0) console.log('(no definitions)');
          for (const d of response.definitions)
            console.log(`${d.name.padEnd(32)} v${d.latestVersion}`);
        });
      },
    );
  addClientOptions(
    definition.command('get').description('show a definition (canonical JSON)').argument('<name>'),
  )
    .option('--version <n>', 'a version (default: the latest)', nonNegativeInt)
    .option('--stale', "read this endpoint's local state, possibly stale")
    .option('--json', 'print the raw response')
    .action(
      async (
        name: string,
        flags: ClientFlags & JsonFlag & { version?: number; stale?: boolean },
      ) => {
        const response = await run<GetDefinitionResponse__Output>(flags, (c, m, o, cb) =>
          c.GetDefinition(
            { name, version: flags.version ?? 0, stale: flags.stale === true },
            m,
            o,
            cb,
          ),
        );
        print(flags, response, () => {
          console.log(
            `# ${response.name} v${response.version}, registered ${time(response.registeredMs)}`,
          );
          console.log(JSON.stringify(JSON.parse(response.definitionJson), null, 2));
        });
      },
    );

  // ------------------------------------------------------------------ workflows
  const workflow = program
    .command('workflow')
    .description('workflow instances: start, inspect, operate');
  addClientOptions(
    workflow
      .command('start')
      .description('start a workflow of a registered definition')
      .argument('<definition>', 'the definition name'),
  )
    .option('--input <json>', 'input as JSON text, or @file.json', jsonText, '{}')
    .option('--version <n>', 'definition version (default: the latest)', nonNegativeInt)
    .option('--id <workflowId>', 'your own workflow id (makes the start idempotent)')
    .option('--business-key <key>', 'a business key (unique per definition among open runs)')
    .option('--reuse-policy <policy>', 'REJECT_DUPLICATE | RETURN_EXISTING | ALLOW_IF_CLOSED')
    .option('--json', 'print the raw response')
    .action(async (name: string, flags: ClientFlags & JsonFlag & StartFlags) => {
      const { request, generatedId } = startWorkflowRequest(name, flags);
      const response = await run<StartWorkflowResponse__Output>(flags, (c, m, o, cb) =>
        c.StartWorkflow(request, m, o, cb),
      );
      print(flags, response, () => {
        // An existing run under the id made here is this command's own earlier attempt.
        const own = generatedId !== null && response.workflowId === generatedId;
        const existing = response.existing && !own ? ' (existing run)' : '';
        console.log(`${response.workflowId} ${response.status}${existing}`);
      });
    });
  addClientOptions(workflow.command('get').description('show a workflow').argument('<workflowId>'))
    .option('--history', 'include the event history')
    .option('--history-size <n>', 'history events to show', nonNegativeInt, 1000)
    .option('--stale', "read this endpoint's local state, possibly stale")
    .option('--json', 'print the raw response')
    .action(
      async (
        id: string,
        flags: ClientFlags & JsonFlag & { history?: boolean; historySize: number; stale?: boolean },
      ) => {
        const response = await run<GetWorkflowResponse__Output>(flags, (c, m, o, cb) =>
          c.GetWorkflow(
            {
              workflowId: id,
              includeHistory: flags.history === true,
              historyPageSize: flags.historySize,
              stale: flags.stale === true,
            },
            m,
            o,
            cb,
          ),
        );
        print(flags, response, () => {
          printWorkflow(response);
        });
      },
    );
  addClientOptions(workflow.command('list').description('list workflows, newest first'))
    .option('--definition <name>', 'only this definition')
    .option('--status <status>', 'only this status (RUNNING, COMPLETED, FAILED, COMPENSATED …)')
    .option('--business-key <key>', 'only this business key')
    .option('--page-size <n>', 'workflows per page', nonNegativeInt, 50)
    .option('--page-token <token>', 'continue from a previous page')
    .option('--stale', "read this endpoint's local state, possibly stale")
    .option('--json', 'print the raw response')
    .action(
      async (
        flags: ClientFlags &
          JsonFlag & {
            definition?: string;
            status?: string;
            businessKey?: string;
            pageSize: number;
            pageToken?: string;
            stale?: boolean;
          },
      ) => {
        const response = await run<ListWorkflowsResponse__Output>(flags, (c, m, o, cb) =>
          c.ListWorkflows(
            {
              definitionName: flags.definition ?? '',
              status: flags.status ?? '',
              businessKey: flags.businessKey ?? '',
              pageSize: flags.pageSize,
              pageToken: flags.pageToken ?? '',
              stale: flags.stale === true,
            },
            m,
            o,
            cb,
          ),
        );
        print(flags, response, () => {
          if (response.workflows.length === 0) console.log('(no workflows)');
          for (const w of response.workflows) {
            console.log(
              `${w.workflowId.padEnd(38)} ${w.status.padEnd(20)} ${w.definitionName} v${w.definitionVersion}  ${time(w.createdMs)}`,
            );
          }
          if (response.nextPageToken !== '')
            console.log(`next page: --page-token '${response.nextPageToken}'`);
        });
      },
    );
  addClientOptions(
    workflow
      .command('signal')
      .description('send a named signal to a workflow')
      .argument('<workflowId>')
      .argument('<name>', 'the signal name'),
  )
    .option('--payload <json>', 'payload as JSON text, or @file.json', jsonText)
    .option('--signal-id <id>', 'an id that makes the signal idempotent')
    .option('--json', 'print the raw response')
    .action(
      async (
        id: string,
        name: string,
        flags: ClientFlags & JsonFlag & { payload?: string; signalId?: string },
      ) => {
        const response = await run<OperationResponse__Output>(flags, (c, m, o, cb) =>
          c.Signal(
            {
              workflowId: id,
              name,
              payloadJson: flags.payload ?? '',
              signalId: flags.signalId ?? '',
            },
            m,
            o,
            cb,
          ),
        );
        print(flags, response, () => {
          console.log(
            response.duplicate
              ? 'duplicate signal: already applied'
              : response.delivered
                ? 'signal delivered'
                : 'signal buffered (no step is waiting for it yet)',
          );
        });
      },
    );
  const operations = [
    ['cancel', 'Cancel', 'cancel a workflow: compensations of completed tasks run'],
    ['terminate', 'Terminate', 'stop a workflow at once (no compensation)'],
    ['pause', 'Pause', 'pause a workflow: it schedules nothing new until resumed'],
    ['resume', 'Resume', 'resume a paused workflow'],
    ['retry', 'Retry', 'retry a FAILED workflow from the task that failed'],
    ['restart', 'Restart', 'run a closed workflow again from the start with its input'],
  ] as const;
  for (const [name, method, description] of operations) {
    const command = addClientOptions(
      workflow.command(name).description(description).argument('<workflowId>'),
    ).option('--json', 'print the raw response');
    if (name === 'cancel' || name === 'terminate')
      command.option('--reason <text>', 'why (kept in the history)');
    command.action(async (id: string, flags: ClientFlags & JsonFlag & { reason?: string }) => {
      const response = await run<OperationResponse__Output>(flags, (c, m, o, cb) =>
        c[method]({ workflowId: id, reason: flags.reason ?? '' }, m, o, cb),
      );
      print(flags, response, () => {
        console.log(`${response.workflowId} ${response.status}`);
      });
    });
  }

  // ------------------------------------------------------------------ tasks
  const task = program.command('task').description('act as a worker: lease, complete, fail tasks');
  addClientOptions(
    task
      .command('activate')
      .description('lease ready tasks of a type (waits up to --wait-ms for one)')
      .argument('<taskType>'),
  )
    .option('--worker <id>', 'this worker id', `cli-${process.pid}`)
    .option('--max <n>', 'most tasks to lease', nonNegativeInt, 1)
    .option('--wait-ms <ms>', 'long-poll: wait up to this long (≤ 30000)', nonNegativeInt, 0)
    .option('--json', 'print the raw response')
    .action(
      async (
        taskType: string,
        flags: ClientFlags & JsonFlag & { worker: string; max: number; waitMs: number },
      ) => {
        const response = await run<ActivateTasksResponse__Output>(
          flags,
          (c, m, o, cb) =>
            c.ActivateTasks(
              { taskType, workerId: flags.worker, maxTasks: flags.max, timeoutMs: flags.waitMs },
              m,
              o,
              cb,
            ),
          flags.timeoutMs + flags.waitMs + LONG_POLL_MARGIN_MS,
        );
        print(flags, response, () => {
          if (response.tasks.length === 0) console.log('(no task ready)');
          for (const t of response.tasks) {
            console.log(
              `${t.taskId} attempt ${t.attempt}  workflow ${t.workflowId}  ${t.ref}  lease until ${time(t.leaseExpiresMs)}`,
            );
            console.log(`  input ${t.inputJson}`);
            console.log(`  complete: baton task complete ${t.taskId} ${t.attempt} --output '{…}'`);
          }
        });
      },
    );
  addClientOptions(
    task
      .command('complete')
      .description('report a task done')
      .argument('<taskId>')
      .argument('<attempt>', 'the attempt activate returned', nonNegativeInt),
  )
    .option('--output <json>', 'output as JSON text, or @file.json', jsonText)
    .option('--json', 'print the raw response')
    .action(
      async (
        taskId: string,
        attempt: number,
        flags: ClientFlags & JsonFlag & { output?: string },
      ) => {
        const response = await run<TaskAck__Output>(flags, (c, m, o, cb) =>
          c.CompleteTask({ taskId, attempt, outputJson: flags.output ?? '' }, m, o, cb),
        );
        print(flags, response, () => {
          console.log(response.duplicate ? 'already completed (acknowledged once)' : 'completed');
        });
      },
    );
  addClientOptions(
    task
      .command('fail')
      .description('report a task failed (retried per its policy unless --non-retryable)')
      .argument('<taskId>')
      .argument('<attempt>', 'the attempt activate returned', nonNegativeInt),
  )
    .requiredOption('--code <code>', 'an error code, e.g. ADDRESS_INVALID')
    .option('--message <text>', 'what went wrong', '')
    .option('--non-retryable', 'do not retry, whatever the retry policy says')
    .option('--details <json>', 'details as JSON text, or @file.json', jsonText)
    .option('--json', 'print the raw response')
    .action(
      async (
        taskId: string,
        attempt: number,
        flags: ClientFlags &
          JsonFlag & { code: string; message: string; nonRetryable?: boolean; details?: string },
      ) => {
        const response = await run<TaskAck__Output>(flags, (c, m, o, cb) =>
          c.FailTask(
            {
              taskId,
              attempt,
              errorCode: flags.code,
              errorMessage: flags.message,
              nonRetryable: flags.nonRetryable === true,
              detailsJson: flags.details ?? '',
            },
            m,
            o,
            cb,
          ),
        );
        print(flags, response, () => {
          console.log(
            response.duplicate ? 'already reported (acknowledged once)' : 'failure reported',
          );
        });
      },
    );
}

function printWorkflow(w: GetWorkflowResponse__Output): void {
  console.log(`workflow ${w.workflowId}  ${w.status}`);
  console.log(
    `definition ${w.definitionName} v${w.definitionVersion}${w.businessKey === '' ? '' : `  business key ${w.businessKey}`}`,
  );
  console.log(
    `created ${time(w.createdMs)}  updated ${time(w.updatedMs)}  closed ${time(w.closedMs)}`,
  );
  console.log(`input     ${w.inputJson}`);
  console.log(`variables ${w.variablesJson}`);
  if (w.outputJson !== '') console.log(`output    ${w.outputJson}`);
  if (w.error !== null)
    console.log(
      `error     ${w.error.code}: ${w.error.message}${w.error.ref === '' ? '' : ` (at ${w.error.ref})`}`,
    );
  if (w.currentTasks.length > 0) {
    console.log('current tasks');
    for (const t of w.currentTasks) {
      const task = t.taskId === '' ? '' : `  ${t.taskId} ${t.status} attempt ${t.attempt}`;
      console.log(
        `  ${t.ref} (${t.kind})${task}${t.signalName === '' ? '' : `  waits for signal ${t.signalName}`}`,
      );
    }
  }
  if (w.history.length > 0) {
    console.log(
      `history${w.historyTruncatedCount > 0 ? ` (${w.historyTruncatedCount} older events dropped)` : ''}`,
    );
    for (const event of w.history) console.log(`  ${event.summary}`);
  }
}

export interface StartFlags {
  input: string;
  version?: number;
  id?: string;
  businessKey?: string;
  reusePolicy?: string;
}

/**
 * The StartWorkflow request for `baton workflow start`. Without --id the id is made here, not by
 * the server, and (unless a business key or a policy says otherwise) an existing run under it is
 * returned: the client retries a call whose answer was lost (UNAVAILABLE, deadline), and a
 * server-made id would start a second run each time. `generatedId` is that id, or null.
 */
export function startWorkflowRequest(
  name: string,
  flags: StartFlags,
): { request: StartWorkflowRequest; generatedId: string | null } {
  const generatedId = flags.id === undefined ? randomUUID() : null;
  // A business key keeps its own default (REJECT_DUPLICATE): its uniqueness already prevents a
  // second run, and RETURN_EXISTING would silently hand back someone else's.
  const ownDefault = generatedId !== null && flags.businessKey === undefined;
  return {
    generatedId,
    request: {
      definitionName: name,
      version: flags.version ?? 0,
      inputJson: flags.input,
      workflowId: flags.id ?? generatedId ?? '',
      businessKey: flags.businessKey ?? '',
      reusePolicy: flags.reusePolicy ?? (ownDefault ? 'RETURN_EXISTING' : ''),
    },
  };
}
