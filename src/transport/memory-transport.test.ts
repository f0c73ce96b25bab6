import { describe, expect, it } from 'vitest';
import { nodeId } from '../lib/index.ts';
import type { NodeId } from '../lib/index.ts';
import { MemoryTransport, MemoryTransportNetwork } from './memory-transport.ts';
import {
  describeTransportContract,
  makeMessage,
  Recorder,
  waitFor,
} from './testing/transport-contract.ts';
import type { ContractCluster, ContractTransport } from './testing/transport-contract.ts';
import type { TransportLimits } from './limits.ts';
import type { TransportHandlers } from './types.ts';

function makeMemoryCluster(
  ids: readonly NodeId[],
  limits: Partial<TransportLimits>,
): Promise<ContractCluster> {
  const network = new MemoryTransportNetwork();
  const live = new Map<NodeId, MemoryTransport>();
  const cluster: ContractCluster = {
    ids,
    addressOf: (id) => `memory://${id}`,
    async start(id: NodeId, handlers: TransportHandlers): Promise<ContractTransport> {
      await live.get(id)?.close();
      const transport = new MemoryTransport({ network, nodeId: id, limits });
      for (const peer of ids) transport.addPeer(peer, cluster.addressOf(peer));
      await transport.start(handlers);
      live.set(id, transport);
      return transport;
    },
    async stop(id: NodeId): Promise<void> {
      await live.get(id)?.close();
      live.delete(id);
    },
    async close(): Promise<void> {
      for (const transport of live.values()) await transport.close();
      live.clear();
    },
  };
  return Promise.resolve(cluster);
}

describeTransportContract('MemoryTransport', makeMemoryCluster);

describe('MemoryTransportNetwork controls', () => {
  const a = nodeId('a');
  const b = nodeId('b');
  const c = nodeId('c');

  async function three(): Promise<{
    network: MemoryTransportNetwork;
    transports: MemoryTransport[];
    recorders: Recorder[];
  }> {
    const network = new MemoryTransportNetwork();
    const recorders = [new Recorder(), new Recorder(), new Recorder()];
    const transports = [a, b, c].map((id) => new MemoryTransport({ network, nodeId: id }));
    for (const [i, transport] of transports.entries()) {
      for (const peer of [a, b, c]) transport.addPeer(peer, String(peer));
      await transport.start(recorders[i]!);
    }
    return { network, transports, recorders };
  }

  it('isolates a node, then heals', async () => {
    const { network, transports, recorders } = await three();
    network.isolate(c);
    transports[0]!.send([makeMessage(a, c, 'heartbeat'), makeMessage(a, b, 'heartbeat')]);
    await waitFor(() => recorders[0]!.unreachable.includes(c), 'a to see c unreachable');
    await waitFor(() => recorders[1]!.messages.length === 1, 'b to hear a');
    expect(recorders[2]!.messages).toEqual([]);
    network.heal();
    transports[0]!.send([makeMessage(a, c, 'heartbeat')]);
    await waitFor(() => recorders[2]!.messages.length === 1, 'c to hear a after healing');
    for (const transport of transports) await transport.close();
  });

  it('partitions two groups in both directions', async () => {
    const { network, transports, recorders } = await three();
    network.partition([a], [b, c]);
    transports[1]!.send([makeMessage(b, a, 'heartbeat'), makeMessage(b, c, 'heartbeat')]);
    await waitFor(() => recorders[1]!.unreachable.includes(a), 'b to see a unreachable');
    await waitFor(() => recorders[2]!.messages.length === 1, 'c to hear b');
    expect(recorders[0]!.messages).toEqual([]);
    for (const transport of transports) await transport.close();
  });

  it('refuses messages from another cluster', async () => {
    const network = new MemoryTransportNetwork();
    const receiver = new MemoryTransport({ network, nodeId: a, clusterId: 'one' });
    const stranger = new MemoryTransport({ network, nodeId: b, clusterId: 'two' });
    const received = new Recorder();
    const strangerEvents = new Recorder();
    await receiver.start(received);
    await stranger.start(strangerEvents);
    stranger.addPeer(a, 'a');
    stranger.send([makeMessage(b, a, 'heartbeat')]);
    await waitFor(() => strangerEvents.unreachable.includes(a), 'the stranger to see a refuse it');
    expect(received.messages).toEqual([]);
    expect(receiver.stats().rejected.wrongCluster).toBe(1);
    await receiver.close();
    await stranger.close();
  });

  it('delivers asynchronously, never inside send()', async () => {
    const { transports, recorders } = await three();
    transports[0]!.send([makeMessage(a, b, 'heartbeat')]);
    expect(recorders[1]!.messages).toEqual([]);
    await waitFor(() => recorders[1]!.messages.length === 1, 'the heartbeat');
    for (const transport of transports) await transport.close();
  });
});
