/**
 * kill -9 under write load: a child process appends with fsynced saves and prints each
 * acknowledged index; the test kills it at random moments, reopens the directory, and checks that
 * it opens cleanly and every acknowledged entry is there, intact.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { logIndex } from '../../src/lib/index.ts';
import type { Term } from '../../src/lib/index.ts';
import { DataDirLockedError, openNodeStore } from '../../src/storage/index.ts';
import { makeTempDir } from '../../src/storage/testing/temp-dir.ts';
import {
  CRASH_CLUSTER_ID,
  CRASH_NODE_ID,
  crashBootstrap,
  expectedEntryData,
} from './crash-common.ts';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = 8;
/** Acknowledgements to wait for in a round before the kill can come. */
const MIN_ACKS_PER_ROUND = 20;

interface RunningChild {
  child: ChildProcess;
  /** index → term of every acknowledged save's last entry (the entries before it in the save too). */
  acks: Array<{ index: number; term: number }>;
  exited: Promise<void>;
  waitForAcks(count: number): Promise<void>;
  stderr(): string;
}

function startChild(dataDir: string): RunningChild {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'crash-child.ts'), dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const acks: Array<{ index: number; term: number }> = [];
  let buffered = '';
  let errors = '';
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [first, second] = line.split(' ');
      if (first === 'open') continue;
      acks.push({ index: Number(first), term: Number(second) });
    }
    for (const waiter of waiters.splice(0)) {
      if (acks.length >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (errors += chunk));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      resolve();
    }),
  );
  return {
    child,
    acks,
    exited,
    stderr: () => errors,
    waitForAcks: (count) =>
      new Promise<void>((resolve, reject) => {
        if (acks.length >= count) {
          resolve();
          return;
        }
        waiters.push({ count, resolve });
        void exited.then(() => {
          reject(new Error(`child exited before ${count} acknowledgements: ${errors}`));
        });
      }),
  };
}

describe('crash safety under kill -9', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps every acknowledged entry intact across repeated kills mid-write', async () => {
    const dir = await makeTempDir('baton-crash-');
    cleanups.push(dir.remove);
    /** Every acknowledged (index, term): a save acknowledges all its entries up to the printed index. */
    const acknowledged = new Map<number, number>();
    let previousAckedIndex = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const running = startChild(dir.path);
      cleanups.push(async () => {
        if (running.child.exitCode === null) running.child.kill('SIGKILL');
        await running.exited;
      });
      await running.waitForAcks(MIN_ACKS_PER_ROUND);
      if (round === 0) {
        // The running child holds the directory: a second opener is refused.
        await expect(
          openNodeStore({
            dataDir: dir.path,
            clusterId: CRASH_CLUSTER_ID,
            nodeId: CRASH_NODE_ID,
            bootstrap: crashBootstrap,
          }),
        ).rejects.toThrow(DataDirLockedError);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 200)));
      running.child.kill('SIGKILL');
      await running.exited;
      expect(running.child.signalCode).toBe('SIGKILL');

      for (const ack of running.acks) {
        // Saves append contiguously from the previous ack: all indexes in between share its term.
        for (let index = previousAckedIndex + 1; index <= ack.index; index++)
          acknowledged.set(index, ack.term);
        previousAckedIndex = ack.index;
      }

      const node = await openNodeStore({
        dataDir: dir.path,
        clusterId: CRASH_CLUSTER_ID,
        nodeId: CRASH_NODE_ID,
        bootstrap: crashBootstrap,
      });
      try {
        const log = node.log;
        expect(log.lastIndex()).toBeGreaterThanOrEqual(previousAckedIndex);
        const snapshotIndex = log.storedSnapshot().meta.index;
        expect(log.firstIndex()).toBeLessThanOrEqual(snapshotIndex + 1);
        // Every acknowledged entry not compacted behind the snapshot is present with its term and data.
        for (const [index, entryTerm] of acknowledged) {
          if (index < log.firstIndex()) {
            expect(index).toBeLessThanOrEqual(snapshotIndex);
            continue;
          }
          const [entry] = log.entries(
            logIndex(index),
            logIndex(index + 1),
            Number.MAX_SAFE_INTEGER,
          );
          expect(entry?.term).toBe(entryTerm);
          expect(
            Buffer.from(entry!.data).equals(
              Buffer.from(expectedEntryData(logIndex(index), entryTerm as Term)),
            ),
          ).toBe(true);
        }
        // Entries past the last acknowledgement (written but not yet acknowledged) are intact too.
        for (const entry of log.entries(
          logIndex(previousAckedIndex + 1),
          logIndex(log.lastIndex() + 1),
          Number.MAX_SAFE_INTEGER,
        )) {
          expect(
            Buffer.from(entry.data).equals(Buffer.from(expectedEntryData(entry.index, entry.term))),
          ).toBe(true);
          acknowledged.set(entry.index, entry.term);
        }
        previousAckedIndex = log.lastIndex();
        console.log(
          `round ${round}: acks ${running.acks.length}, last ${log.lastIndex()}, first ${log.firstIndex()}, snapshot ${snapshotIndex}, applied ${node.state.appliedIndex()}, torn ${node.openReport.log.truncatedTornEntry?.index ?? '-'}, restored ${node.openReport.restoredStateFromSnapshot ?? '-'}`,
        );
        // A kill -9 tears nothing LevelDB cannot recover by itself: the open is clean.
        expect(node.openReport.warnings).toEqual([]);
        // The state is never behind the snapshot after open.
        expect(node.state.appliedIndex()).toBeGreaterThanOrEqual(snapshotIndex);
      } finally {
        await node.close();
      }
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(ROUNDS * MIN_ACKS_PER_ROUND);
  });
});
