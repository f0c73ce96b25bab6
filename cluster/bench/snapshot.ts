/**
 * `npm run bench -- snapshot`: the cost of moving a whole state — what a follower that is too far
 * behind, a new member, a node's crash repair and `backup restore` pay. For two shapes of state
 * (few larger records; many small ones, as the workflow engine's keys are), on real LevelDB in a
 * temporary directory: the export, and the import into an empty store and over the same keys
 * (a follower that is merely behind), each with its time and the heap and RSS it peaked at above
 * where it began (sampled every 5 ms), so a change that turns records into objects shows here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logIndex, nodeId, term } from '../../src/lib/index.ts';
import { openNodeStore } from '../../src/storage/index.ts';
import type { NodeStore } from '../../src/storage/index.ts';
import { machine, printTable, round } from './bench.ts';
import type { Bench, BenchReport, BenchResult } from './bench.ts';

const MIB = 1024 * 1024;
const FILL_BATCH_RECORDS = 10_000;
const SAMPLE_MS = 5;

interface Shape {
  readonly name: string;
  readonly records: number;
  readonly valueBytes: number;
}

const SHAPES: readonly Shape[] = [
  { name: '200k x 200 B', records: 200_000, valueBytes: 200 },
  { name: '2M x 20 B', records: 2_000_000, valueBytes: 20 },
];

interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  readonly heapPeakMb: number;
  readonly rssPeakMb: number;
}

/** Runs `work`, timing it and sampling how far heap and RSS rose above where they started. */
async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const start = process.memoryUsage();
  let heapPeak = start.heapUsed;
  let rssPeak = start.rss;
  const sample = (): void => {
    const now = process.memoryUsage();
    heapPeak = Math.max(heapPeak, now.heapUsed);
    rssPeak = Math.max(rssPeak, now.rss);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const began = performance.now();
  try {
    const value = await work();
    sample();
    return {
      value,
      ms: performance.now() - began,
      heapPeakMb: (heapPeak - start.heapUsed) / MIB,
      rssPeakMb: (rssPeak - start.rss) / MIB,
    };
  } finally {
    clearInterval(timer);
  }
}

async function openStore(dirs: string[]): Promise<NodeStore> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-snapshot-'));
  dirs.push(dir);
  const store = await openNodeStore({
    dataDir: dir,
    clusterId: 'bench',
    nodeId: nodeId('n1'),
    bootstrap: { voters: [nodeId('n1')], learners: [] },
  });
  await store.log.save({
    entries: [{ index: logIndex(1), term: term(1), kind: 'noop', data: new Uint8Array(0) }],
    hardState: { term: term(1), vote: null, commit: logIndex(1) },
  });
  return store;
}

async function fill(store: NodeStore, shape: Shape): Promise<void> {
  const value = new Uint8Array(shape.valueBytes).fill(7);
  for (let start = 0; start < shape.records; start += FILL_BATCH_RECORDS) {
    const batch = store.state.beginBatch();
    const end = Math.min(shape.records, start + FILL_BATCH_RECORDS);
    for (let i = start; i < end; i++) batch.put(`kv/record-${i}`, value);
    await store.state.commit(batch, logIndex(1), { sync: false });
  }
  await store.state.makeDurable();
}

async function benchShape(shape: Shape): Promise<BenchResult[]> {
  const dirs: string[] = [];
  const stores: NodeStore[] = [];
  try {
    const source = await openStore(dirs);
    stores.push(source);
    await fill(source, shape);
    const exported = await measure(() => source.state.exportSnapshot());
    const data = exported.value;
    const target = await openStore(dirs);
    stores.push(target);
    const intoEmpty = await measure(() => target.state.importSnapshot(data, logIndex(1)));
    const overSame = await measure(() => target.state.importSnapshot(data, logIndex(1)));
    const row = (step: string, figures: Measured<unknown>): BenchResult => ({
      state: shape.name,
      records: shape.records,
      snapshotMb: round(data.length / MIB, 1),
      step,
      ms: round(figures.ms, 0),
      heapPeakMb: round(figures.heapPeakMb, 0),
      rssPeakMb: round(figures.rssPeakMb, 0),
    });
    return [
      row('export', exported),
      row('import into empty', intoEmpty),
      row('import over same keys', overSame),
    ];
  } finally {
    for (const store of stores) await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export const snapshotBench: Bench = {
  name: 'snapshot',
  description:
    'state export and import on real LevelDB: time and peak heap/RSS growth, two shapes of state',
  async run(): Promise<BenchReport> {
    const results: BenchResult[] = [];
    for (const shape of SHAPES) {
      console.log(`filling ${shape.name} (${shape.records} records)…`);
      results.push(...(await benchShape(shape)));
    }
    printTable('state snapshots (heap and RSS: peak rise during the step)', results);
    return {
      bench: 'snapshot',
      machine: machine(),
      settings: { shapes: SHAPES.map((shape) => ({ ...shape })) },
      results,
    };
  },
};
