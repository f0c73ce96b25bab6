import * as grpc from '@grpc/grpc-js';
import { apiProto } from '../../src/api/proto.ts';
import { ProcessCluster } from './processes.ts';
const ids = ['n1', 'n2', 'n3'];
const cluster = await ProcessCluster.create(ids);
for (const id of ids) cluster.start(id, ['--log-level', 'warn']);
const clients = new Map(cluster.specs.map((s) => [s.address, new (apiProto().Kv)(s.address, grpc.credentials.createInsecure(), { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 })]));
const admin = (a: string) => new (apiProto().Admin)(a, grpc.credentials.createInsecure());
function put(address: string, key: string): Promise<boolean> {
  return new Promise((res) => clients.get(address)!.Put({ key, value: Buffer.alloc(100) }, new grpc.Metadata(), { deadline: Date.now() + 100 }, (e) => res(e === null)));
}
async function leader(): Promise<string> {
  for (;;) {
    for (const s of cluster.specs.filter((s) => cluster.running.has(s.id))) {
      const st = await new Promise<{ role: string; nodeId: string } | null>((res) => admin(s.address).Status({}, { deadline: Date.now() + 300 }, (e, r) => res(e ? null : (r as never))));
      if (st?.role === 'leader') return st.nodeId;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
const results: number[] = [];
for (let trial = 0; trial < 8; trial++) {
  const l = await leader();
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 5; i++) await put(cluster.spec(l).address, `warm${trial}-${i}`);
  const killedAt = performance.now();
  await cluster.kill(l);
  const others = cluster.specs.filter((s) => cluster.running.has(s.id)).map((s) => s.address);
  let i = 0;
  for (;;) { if (await put(others[i++ % others.length]!, `t${trial}`)) break; await new Promise((r) => setTimeout(r, 5)); }
  results.push(performance.now() - killedAt);
  console.log('trial', trial, 'ms', results.at(-1)!.toFixed(0));
  cluster.start(l, ['--log-level', 'warn']);
  await new Promise((r) => setTimeout(r, 2500));
}
results.sort((a, b) => a - b);
console.log('min', results[0]!.toFixed(0), 'median', results[Math.floor(results.length / 2)]!.toFixed(0), 'max', results.at(-1)!.toFixed(0));
await cluster.close();
process.exit(0);
