/**
 * Latency of one fsynced LevelLogStore.save() — 1 entry and 64 entries of 100 bytes — and of a
 * fsynced state commit of 64 puts, next to a raw LevelDB sync batch of the same size as baseline.
 * The cases run interleaved (one of each per iteration) so that a noisy machine skews them alike.
 * Prints figures; asserts nothing.
 *
 * Usage: npx tsx cluster/storage/bench-fsync.ts [iterations] [dataDirParent]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { logIndex, nodeId, term } from '../../src/lib/index.ts';
import type { Entry } from '../../src/raft/types.ts';
import { openNodeStore } from '../../src/storage/index.ts';
import type { NodeStore } from '../../src/storage/index.ts';

const ENTRY_BYTES = 100;
const WARMUP_ITERATIONS = 20;

interface Case {
  readonly label: string;
  readonly entriesPerStep: number;
  step(iteration: number): Promise<void>;
  readonly samplesMs: number[];
}

function saveCase(node: NodeStore, entriesPerSave: number): Case {
  const data = new Uint8Array(ENTRY_BYTES).fill(0x61);
  return {
    label: `save(${entriesPerSave} × ${ENTRY_BYTES} B entries), fsync`,
    entriesPerStep: entriesPerSave,
    samplesMs: [],
    step: async () => {
      const first = node.log.lastIndex() + 1;
      const entries: Entry[] = Array.from({ length: entriesPerSave }, (_, k) => ({
        index: logIndex(first + k),
        term: term(1),
        kind: 'normal',
        data,
      }));
      await node.log.save({
        entries,
        hardState: { term: term(1), vote: nodeId('n1'), commit: logIndex(first - 1) },
      });
    },
  };
}

function stateCase(node: NodeStore, writesPerCommit: number): Case {
  const value = new Uint8Array(ENTRY_BYTES).fill(0x62);
  return {
    label: `state commit(${writesPerCommit} × ${ENTRY_BYTES} B puts), fsync`,
    entriesPerStep: writesPerCommit,
    samplesMs: [],
    step: async (iteration) => {
      const batch = node.state.beginBatch();
      for (let k = 0; k < writesPerCommit; k++) batch.put(`bench/${iteration}/${k}`, value);
      await node.state.commit(batch, node.state.appliedIndex(), { sync: true });
    },
  };
}

function rawCase(db: Level<Uint8Array, Uint8Array>, putsPerBatch: number, prefix: number): Case {
  const value = new Uint8Array(ENTRY_BYTES + 25).fill(0x63);
  let counter = 0;
  return {
    label: `raw LevelDB batch(${putsPerBatch} puts), sync`,
    entriesPerStep: putsPerBatch,
    samplesMs: [],
    step: async () => {
      const operations = Array.from({ length: putsPerBatch }, () => {
        const key = Buffer.alloc(9);
        key[0] = prefix;
        key.writeUInt32BE(counter++, 5);
        return { type: 'put' as const, key, value };
      });
      await db.batch(operations, { sync: true });
    },
  };
}

function report(c: Case): string {
  const sorted = [...c.samplesMs].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const totalMs = sorted.reduce((s, x) => s + x, 0);
  const entriesPerSecond = Math.round((c.entriesPerStep * sorted.length * 1000) / totalMs);
  return `${c.label.padEnd(42)} p50 ${at(0.5).toFixed(3)} ms  p99 ${at(0.99).toFixed(3)} ms  mean ${(totalMs / sorted.length).toFixed(3)} ms  ${entriesPerSecond} entries/s`;
}

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 500);
  const parent = process.argv[3] ?? tmpdir();
  const dataDir = await mkdtemp(join(parent, 'baton-bench-fsync-'));
  const rawDir = await mkdtemp(join(parent, 'baton-bench-raw-'));
  const options = {
    dataDir,
    clusterId: 'bench',
    nodeId: 'n1',
    bootstrap: { voters: [nodeId('n1')], learners: [] },
  };
  let node = await openNodeStore(options);
  const raw = new Level<Uint8Array, Uint8Array>(rawDir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await raw.open();
  try {
    const cases = [
      saveCase(node, 1),
      saveCase(node, 64),
      stateCase(node, 64),
      rawCase(raw, 1, 1),
      rawCase(raw, 64, 2),
    ];
    for (let i = 0; i < WARMUP_ITERATIONS + iterations; i++) {
      for (const c of cases) {
        const started = process.hrtime.bigint();
        await c.step(i);
        const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
        if (i >= WARMUP_ITERATIONS) c.samplesMs.push(elapsedMs);
      }
    }
    console.log(
      `${iterations} iterations (after ${WARMUP_ITERATIONS} warm-up), cases interleaved, data under ${parent}`,
    );
    for (const c of cases) console.log(report(c));
    // Open verifies every retained entry's checksum: how long that takes for this log.
    const retained = node.log.lastIndex() - node.log.firstIndex() + 1;
    await node.close();
    const started = process.hrtime.bigint();
    node = await openNodeStore(options);
    const openMs = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(
      `reopen with ${retained} retained entries (all checksums verified): ${openMs.toFixed(1)} ms`,
    );
  } finally {
    await node.close();
    await raw.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(rawDir, { recursive: true, force: true });
  }
}

await main();
