import { padNumber } from './codec.ts';

/**
 * The whole key layout of the engine's state, in one place. Keys are strings compared as UTF-8
 * bytes (LevelDB order). Components that users choose (definition names, business keys, task
 * types, signal names) are escaped so they can never contain the separator; instance ids are
 * restricted to ID_PATTERN and need no escaping. Numbers are fixed-width decimals so that they sort.
 *
 *   d/<name>/<version>                  a registered definition version
 *   dl/<name>                           the latest version of a definition
 *   i/<instanceId>                      an instance's mutable state (status, variables, steps …)
 *   i/<instanceId>:…                    its descendants (child ids extend the parent's)
 *   h/<instanceId>/<seq>                the instance's event history, one key per event
 *   t/<instanceId>/r<run>.<n>           a worker/http task (its id is "<instanceId>/r<run>.<n>")
 *   tm/<instanceId>/r<run>.<n>          a timer (its id is "<instanceId>/r<run>.<n>")
 *   bk/<name>/<businessKey>             the latest instance started with that business key
 *   tt/<taskType>                       per task-type dispatch settings and running count
 *   x/st/<status>/<createdMs>/<id>      index: instances by status
 *   x/df/<name>/<createdMs>/<id>        index: instances by definition
 *   x/ct/<createdMs>/<id>               index: instances by creation time
 *   x/bk/<businessKey>/<createdMs>/<id> index: instances by business key
 *   x/cl/<closedMs>/<id>                index: closed instances by closing time (pruning)
 *   o/rdy/<taskType>/<100-priority>/<index>/<taskId>   outbox: tasks ready to dispatch
 *   o/due/<dueMs>/<timerId>             outbox: timers (waits, retries, timeouts) by due time
 */

/**
 * Instance ids (caller-chosen or leader-generated): no separator, bounded length. Child instances
 * are named "<parentId>:r<run>.<n>", hence room beyond a caller's usual 128; a caller's
 * StartWorkflow may not use ':' (CHILD_ID_SEPARATOR), so no top-level id can take a child's.
 */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,256}$/;

/** Separates a parent's id from its child's suffix; reserved for children. */
export const CHILD_ID_SEPARATOR = ':';

/*
 * Runs. An id can be used by several runs over time (StartWorkflow with ALLOW_IF_CLOSED, or again
 * after pruning), and each run's counter starts at 0. So that nothing of an earlier run — a
 * worker's lease, a timer, a child — can ever be taken for the new run's, every id an instance
 * hands out carries its run: the log index of the command that created the instance, unique in
 * the whole log and the same on every replica. (A restart keeps the run and its counter.)
 */

/**
 * The upper bound for prefix scans: every key with `prefix` sorts below prefix + this. U+10FFFF is
 * the largest code point, so it is also the largest UTF-8 sequence.
 */
const PREFIX_END = '\u{10FFFF}';

/**
 * Compares two keys as LevelDB does (UTF-8 bytes), which is code point order. Plain `<` on JS
 * strings compares UTF-16 code units and disagrees for characters above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let position = 0; position < length; position++) {
    const left = a.charCodeAt(position);
    const right = b.charCodeAt(position);
    if (left !== right) return codeUnitRank(left) - codeUnitRank(right);
  }
  return a.length - b.length;
}

function codeUnitRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

export function escapeComponent(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '/' || char === '%' || code < 0x20) {
      out += `%${code.toString(16).padStart(2, '0')}`;
    } else {
      out += char;
    }
  }
  return out;
}

export function unescapeComponent(text: string): string {
  return text.replace(/%([0-9a-f]{2})/g, (_match, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

export interface KeyPrefixRange {
  gte: string;
  lt: string;
}

export function prefixRange(prefix: string): KeyPrefixRange {
  return { gte: prefix, lt: prefix + PREFIX_END };
}

const ms = (value: number): string => padNumber(value, 16);
const seq = (value: number): string => padNumber(value, 10);

export const keys = {
  definition: (name: string, version: number): string =>
    `d/${escapeComponent(name)}/${seq(version)}`,
  definitionVersions: (name: string): string => `d/${escapeComponent(name)}/`,
  definitionsAll: (): string => 'd/',
  latestDefinition: (name: string): string => `dl/${escapeComponent(name)}`,

  instance: (instanceId: string): string => `i/${instanceId}`,
  instancesAll: (): string => 'i/',
  /** Every descendant (child, grandchild …) of an instance, and only those, sorts under this. */
  descendantsOf: (instanceId: string): string => `i/${instanceId}${CHILD_ID_SEPARATOR}`,
  history: (instanceId: string, eventSeq: number): string => `h/${instanceId}/${seq(eventSeq)}`,
  historyOf: (instanceId: string): string => `h/${instanceId}/`,
  task: (taskId: string): string => `t/${taskId}`,
  tasksOf: (instanceId: string): string => `t/${instanceId}/`,
  timer: (timerId: string): string => `tm/${timerId}`,
  timersOf: (instanceId: string): string => `tm/${instanceId}/`,
  businessKey: (name: string, businessKey: string): string =>
    `bk/${escapeComponent(name)}/${escapeComponent(businessKey)}`,
  taskTypeSettings: (taskType: string): string => `tt/${escapeComponent(taskType)}`,
  taskTypesAll: (): string => 'tt/',

  byStatus: (status: string, createdMs: number, instanceId: string): string =>
    `x/st/${status}/${ms(createdMs)}/${instanceId}`,
  byStatusPrefix: (status: string): string => `x/st/${status}/`,
  byDefinition: (name: string, createdMs: number, instanceId: string): string =>
    `x/df/${escapeComponent(name)}/${ms(createdMs)}/${instanceId}`,
  byDefinitionPrefix: (name: string): string => `x/df/${escapeComponent(name)}/`,
  byCreated: (createdMs: number, instanceId: string): string =>
    `x/ct/${ms(createdMs)}/${instanceId}`,
  byCreatedPrefix: (): string => 'x/ct/',
  byBusinessKey: (businessKey: string, createdMs: number, instanceId: string): string =>
    `x/bk/${escapeComponent(businessKey)}/${ms(createdMs)}/${instanceId}`,
  byBusinessKeyPrefix: (businessKey: string): string => `x/bk/${escapeComponent(businessKey)}/`,
  byClosed: (closedMs: number, instanceId: string): string => `x/cl/${ms(closedMs)}/${instanceId}`,
  byClosedPrefix: (): string => 'x/cl/',

  ready: (taskType: string, priority: number, index: number, taskId: string): string =>
    `o/rdy/${escapeComponent(taskType)}/${padNumber(100 - priority, 3)}/${ms(index)}/${taskId}`,
  readyOfType: (taskType: string): string => `o/rdy/${escapeComponent(taskType)}/`,
  readyAll: (): string => 'o/rdy/',
  due: (dueMs: number, timerId: string): string => `o/due/${ms(dueMs)}/${timerId}`,
  duePrefix: (): string => 'o/due/',
  /** Every due timer with dueMs <= nowMs sorts below this key. */
  dueUpTo: (nowMs: number): string => `o/due/${ms(nowMs + 1)}/`,
  createdFrom: (createdMs: number): string => ms(createdMs),
} as const;

/** The last path component of an index key (the instance or task id it points to). */
export function lastComponent(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Task and timer ids are "<instanceId>/r<run>.<n>": the instance they belong to. */
export function instanceOfChildId(childId: string): string {
  return childId.slice(0, Math.max(0, childId.lastIndexOf('/')));
}

/** The run a task or timer id was handed out by, or undefined when the id has no run. */
export function runOfChildId(childId: string): number | undefined {
  const match = /\/r([0-9]{1,16})\.[0-9]+$/.exec(childId);
  return match === null ? undefined : Number(match[1]);
}

/** A task or timer id: unique across all runs of the instance id. */
export function childId(instanceId: string, run: number, n: number): string {
  return `${instanceId}/r${run}.${seq(n)}`;
}

/** A child instance's id: unique across all runs of its parent's id. */
export function childInstanceId(parentId: string, parentRun: number, n: number): string {
  return `${parentId}${CHILD_ID_SEPARATOR}r${parentRun}.${n}`;
}
