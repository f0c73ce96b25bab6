/**
 * `npm run test:disk-full` — volumes that really fill, on three `baton server` processes whose
 * data directories are small tmpfs mounts (so it needs root, or CAP_SYS_ADMIN, to mount them; it
 * is not part of `npm test`, which proves the refusal with a ballast file on the real volume).
 *
 *  1. n3 runs with the free-space check off (`storage.minFreeDiskBytes` 0) and a ballast fills its
 *     volume: its next log write fails, and it stops — saying which file it could not write —
 *     rather than serve on; n1 and n2 carry on and every write they acknowledge still commits.
 *  2. n1 and n2 keep their minimum: writes go on until one of them is below it, then the leader
 *     refuses them with RESOURCE_EXHAUSTED naming the voter; nobody stops.
 *  2b. The work admitted before that goes on — a worker completes the first task of workflows
 *     started earlier, each with a 32 KiB output — until a volume is below its last reserve
 *     (storage.criticalFreeDiskBytes, a quarter of the minimum): then that is refused too, and
 *     still nobody stops.
 *  3. The operator makes room (the volumes grow, the ballast goes) and restarts n3: writes resume
 *     by themselves, n3 catches up, and every acknowledged write is on every node.
 *
 * Prints what it saw and exits non-zero on the first broken expectation.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { CliClient } from '../src/cli/client.ts';
import type { ActivateTasksResponse__Output } from '../src/gen/baton/v1/ActivateTasksResponse.ts';
import { freeBytesAt } from '../src/storage/index.ts';
import { ProcessCluster } from './lib/cluster.ts';
import { sleep } from './lib/stats.ts';

const MIB = 1024 * 1024;
// Volumes big enough for the defaults: LevelDB's compactions need tens of MiB of room at once,
// which a reserve must leave (storage.criticalFreeDiskBytes: 64 MiB of a 256 MiB minimum).
const VOLUME_MIB = 512;
const GROWN_MIB = 1536;
const MIN_FREE_MIB = 256;
const VALUE_BYTES = 4096;
const WAIT_CEILING_MS = 120_000;
/** Started before the volumes run low; their first tasks' outputs are the admitted work. */
const WORKFLOWS = 6_000;
const OUTPUT_PAD_BYTES = 32 * 1024;
const ORDER_SAGA = new URL('../src/engine/definition/examples/order-saga.yaml', import.meta.url);

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`expected ${what}`);
  console.log(`ok: ${what}`);
}

function mountTmpfs(dir: string, mib: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir]);
}

function resizeTmpfs(dir: string, mib: number): void {
  execFileSync('mount', ['-o', `remount,size=${mib}m`, dir]);
}

/** Writes 1 MiB pieces until the volume refuses one: the volume is then full. */
function fillVolume(path: string): number {
  const chunk = Buffer.alloc(MIB, 1);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (;;) {
      try {
        writeSync(fd, chunk);
        written += chunk.length;
      } catch {
        return written;
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'baton-disk-full-'));
  const base = join(root, 'cluster');
  const mounts = ['n1', 'n2', 'n3'].map((id) => join(base, id));
  let cluster: ProcessCluster | null = null;
  try {
    for (const dir of mounts) {
      mkdirSync(dir, { recursive: true });
      try {
        mountTmpfs(dir, VOLUME_MIB);
      } catch (error) {
        throw new Error(
          `cannot mount a tmpfs at ${dir} (this script needs root or CAP_SYS_ADMIN): ${(error as Error).message}`,
        );
      }
    }
    const limited = { BATON_STORAGE_MIN_FREE_DISK_BYTES: String(MIN_FREE_MIB * MIB) };
    cluster = await ProcessCluster.start({
      size: 3,
      clusterId: 'disk-full',
      baseDir: base,
      env: { BATON_STORAGE_DISK_CHECK_INTERVAL_MS: '100' },
      nodeEnv: { n1: limited, n2: limited, n3: { BATON_STORAGE_MIN_FREE_DISK_BYTES: '0' } },
      // A refusal is the answer here, not something to retry.
      client: { retry: { retryableCodes: [grpc.status.UNAVAILABLE], budgetMs: 10_000 } },
    });
    const c = cluster;
    if ((await c.waitForLeader()).id === 'n3') {
      await c.client.transferLeadership('n1');
      await c.waitForLeader(WAIT_CEILING_MS, 'n3');
    }
    const acknowledged: string[] = [];
    const put = async (key: string): Promise<Error | null> => {
      try {
        await c.client.put(key, randomBytes(VALUE_BYTES));
        acknowledged.push(key);
        return null;
      } catch (error) {
        return error as Error;
      }
    };

    // 1. n3's volume fills; it stops on its next write; the others go on.
    const ballast = join(mounts[2]!, 'ballast');
    console.log(`filled n3's volume with ${fillVolume(ballast) / MIB} MiB of ballast`);
    const n3 = c.node('n3');
    const deadline = Date.now() + WAIT_CEILING_MS;
    while (n3.running && Date.now() < deadline) await put(`a-${acknowledged.length}`);
    check(!n3.running, 'n3 to stop once its volume is full');
    const lastWords = n3.logTail();
    check(/No space left on device/.test(lastWords), "n3's last log lines to name the failure");
    console.log(
      lastWords
        .split('\n')
        .filter((line) => line.includes('No space'))
        .slice(-1)[0],
    );
    try {
      c.checkNoCrash();
    } catch {
      // n3's exit was the point of this step.
    }
    let failedWithoutN3 = 0;
    for (let i = 0; i < 50; i++) if ((await put(`b-${i}`)) !== null) failedWithoutN3++;
    check(failedWithoutN3 === 0, 'n1 and n2 to acknowledge 50 writes without n3');

    // Work admitted now, for step 2b.
    const api = new CliClient(
      c.endpoints().filter((address) => address !== c.address('n3')),
      10_000,
    );
    await api.workflow((cl, m, o, cb) =>
      cl.RegisterDefinition({ source: readFileSync(ORDER_SAGA, 'utf8'), format: 'yaml' }, m, o, cb),
    );
    for (let i = 0; i < WORKFLOWS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, WORKFLOWS - i) }, (_, j) =>
          api.workflow((cl, m, o, cb) =>
            cl.StartWorkflow(
              {
                definitionName: 'order-saga',
                workflowId: `fill-${i + j}`,
                inputJson: JSON.stringify({
                  orderId: String(i + j),
                  items: [{ sku: 'A', quantity: 1 }],
                  amount: 1,
                  cardToken: 't',
                }),
              },
              m,
              o,
              cb,
            ),
          ),
        ),
      );
    }
    console.log(`started ${WORKFLOWS} workflows, each with a task ready`);

    // 2. n1 and n2 keep their minimum: refused before either fills, and nobody stops.
    let refusal: Error | null = null;
    while (refusal === null) refusal = await put(`c-${acknowledged.length}`);
    check(/RESOURCE_EXHAUSTED/.test(refusal.message), 'a refusal with RESOURCE_EXHAUSTED');
    check(/storage\.minFreeDiskBytes/.test(refusal.message), 'the refusal to name the setting');
    console.log(refusal.message);
    check(c.node('n1').running && c.node('n2').running, 'n1 and n2 still running');
    console.log(`${acknowledged.length} writes acknowledged before the refusal`);

    // 2b. The admitted work goes on, until a volume is below its last reserve; nobody stops.
    // Random, so LevelDB's compression cannot shrink it (a repeated character would take no room).
    const pad = (): string => randomBytes((OUTPUT_PAD_BYTES * 3) / 4).toString('base64');
    let completed = 0;
    let lastReserve: Error | null = null;
    while (lastReserve === null) {
      let leased: ActivateTasksResponse__Output;
      try {
        leased = await api.workflow<ActivateTasksResponse__Output>((cl, m, o, cb) =>
          cl.ActivateTasks(
            { taskType: 'inventory.reserve', workerId: 'filler', maxTasks: 50, timeoutMs: 0 },
            m,
            o,
            cb,
          ),
        );
      } catch (error) {
        lastReserve = error as Error;
        break;
      }
      if (leased.tasks.length === 0) {
        const free = await freeBytesAt(c.node('n1').spec.dataDir);
        throw new Error(
          `expected the last reserve before the tasks ran out (${completed} completed; n1 has ${(free / MIB).toFixed(1)} MiB free)`,
        );
      }
      const results = await Promise.allSettled(
        leased.tasks.map((task) =>
          api.workflow((cl, m, o, cb) =>
            cl.CompleteTask(
              {
                taskId: task.taskId,
                attempt: task.attempt,
                outputJson: JSON.stringify({ reservationId: task.taskId, pad: pad() }),
              },
              m,
              o,
              cb,
            ),
          ),
        ),
      );
      for (const result of results) {
        if (result.status === 'fulfilled') completed++;
        else lastReserve ??= result.reason as Error;
      }
    }
    console.log(`${completed} task results (32 KiB each) taken after the low line`);
    check(completed > 0, 'task results to be taken below the low line');
    console.log(`then: ${lastReserve.message}`);
    check(
      /RESOURCE_EXHAUSTED/.test(lastReserve.message) &&
        /storage\.criticalFreeDiskBytes/.test(lastReserve.message),
      'the last reserve to refuse the admitted work too, naming its setting',
    );
    check(c.node('n1').running && c.node('n2').running, 'n1 and n2 still running');
    for (const id of ['n1', 'n2']) {
      const free = await freeBytesAt(c.node(id).spec.dataDir);
      console.log(`${id}: ${(free / MIB).toFixed(1)} MiB free`);
    }
    api.close();

    // 3. Room again: writes resume by themselves; n3 restarts and catches up; nothing is lost.
    resizeTmpfs(mounts[0]!, GROWN_MIB);
    resizeTmpfs(mounts[1]!, GROWN_MIB);
    rmSync(ballast);
    resizeTmpfs(mounts[2]!, GROWN_MIB);
    const resumeBy = Date.now() + WAIT_CEILING_MS;
    while ((await put(`d-${acknowledged.length}`)) !== null) {
      if (Date.now() > resumeBy) {
        const states = ['n1', 'n2']
          .map((id) => {
            const node = c.node(id);
            const tail = node.logTail().split('\n').slice(-3).join('\n    ');
            return `  ${id} ${node.running ? 'running' : 'stopped'}; last log lines:\n    ${tail}`;
          })
          .join('\n');
        throw new Error(`writes did not resume once there was room\n${states}`);
      }
      await sleep(100);
    }
    console.log('ok: writes resumed once the volumes had room');
    await c.restart('n3');
    await c.waitForConvergence(['n1', 'n2', 'n3'], WAIT_CEILING_MS);
    for (const id of ['n1', 'n2', 'n3']) {
      let missing = 0;
      for (const key of acknowledged) {
        if (!(await c.client.getStaleFrom(c.address(id), key)).found) missing++;
      }
      check(missing === 0, `${id} to hold all ${acknowledged.length} acknowledged writes`);
    }
    console.log('disk-full: every expectation held');
  } finally {
    await cluster?.shutdown().catch(() => undefined);
    for (const dir of mounts) {
      try {
        execFileSync('umount', [dir]);
      } catch {
        // Not mounted (the mount failed) or already gone.
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`disk-full: ${(error as Error).message}`);
    process.exit(1);
  },
);
