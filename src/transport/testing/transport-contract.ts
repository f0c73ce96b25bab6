/**
 * The contract every Transport passes (STYLE.md habit 6), run by memory-transport.test.ts and
 * grpc-transport.test.ts. A test cluster is a set of node ids, each of which can be started
 * (again) with fresh handlers and stopped (made unreachable), so the suite can take peers down
 * and bring them back.
 *
 * Nothing here asserts a duration: waits poll a condition with a generous ceiling, so a slow
 * shared machine makes the suite slower, never red.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { logIndex, nodeId, SeededRng, term } from '../../lib/index.ts';
import type { NodeId, StorageHealth } from '../../lib/index.ts';
import type { Entry, Message, MessageType } from '../../raft/types.ts';
import type { TransportLimits } from '../limits.ts';
import type { PeerTransportStats, TransportStatsSource } from '../stats.ts';
import type { Transport, TransportHandlers } from '../types.ts';

export type ContractTransport = Transport & TransportStatsSource;

export interface ContractCluster {
  readonly ids: readonly NodeId[];
  /** The address a transport's addPeer takes for node `id`. */
  addressOf(id: NodeId): string;
  /** Creates and starts node `id`'s transport with every other id added as a peer. Also restarts a stopped node. */
  start(id: NodeId, handlers: TransportHandlers): Promise<ContractTransport>;
  /** Takes node `id` down: closes its transport and makes its address unreachable. */
  stop(id: NodeId): Promise<void>;
  /** Stops every node and frees every resource. */
  close(): Promise<void>;
}

export type MakeContractCluster = (
  ids: readonly NodeId[],
  limits: Partial<TransportLimits>,
) => Promise<ContractCluster>;

/** Ceiling for polled conditions; generous because the machine is shared and noisy. */
const WAIT_CEILING_MS = 30_000;
const POLL_INTERVAL_MS = 5;

export async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_CEILING_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Handlers that record everything they are told. */
export class Recorder implements TransportHandlers {
  readonly messages: Message[] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshotStatuses: { peer: NodeId; status: 'finished' | 'failed' }[] = [];
  readonly storageReports: { peer: NodeId; storage: StorageHealth }[] = [];

  onMessage(message: Message): void {
    this.messages.push(message);
  }

  onUnreachable(peer: NodeId): void {
    this.unreachable.push(peer);
  }

  onSnapshotStatus(peer: NodeId, status: 'finished' | 'failed'): void {
    this.snapshotStatuses.push({ peer, status });
  }

  onPeerStorage(peer: NodeId, storage: StorageHealth): void {
    this.storageReports.push({ peer, storage });
  }

  from(peer: NodeId): Message[] {
    return this.messages.filter((message) => message.from === peer);
  }
}

export function makeMessage(
  from: NodeId,
  to: NodeId,
  type: MessageType,
  fields: Partial<Omit<Message, 'from' | 'to' | 'type'>> = {},
): Message {
  return {
    type,
    from,
    to,
    term: term(1),
    logTerm: term(0),
    index: logIndex(0),
    entries: [],
    commit: logIndex(0),
    reject: false,
    rejectHint: logIndex(0),
    snapshot: null,
    context: new Uint8Array(0),
    ...fields,
  };
}

/** An append carrying `count` entries after `index`, each with `dataBytes` of data. */
export function makeAppend(
  from: NodeId,
  to: NodeId,
  index: number,
  count = 1,
  dataBytes = 16,
): Message {
  const entries: Entry[] = [];
  for (let i = 1; i <= count; i += 1) {
    const data = new Uint8Array(dataBytes);
    data.fill((index + i) % 251);
    entries.push({ term: term(2), index: logIndex(index + i), kind: 'normal', data });
  }
  return makeMessage(from, to, 'append', {
    term: term(2),
    logTerm: term(2),
    index: logIndex(index),
    entries,
    commit: logIndex(index),
  });
}

function peerStats(transport: ContractTransport, peer: NodeId): PeerTransportStats {
  const stats = transport.stats().peers.get(peer);
  if (stats === undefined) throw new Error(`no stats for peer ${peer}`);
  return stats;
}

const A = nodeId('a');
const B = nodeId('b');
const C = nodeId('c');

export function describeTransportContract(name: string, makeCluster: MakeContractCluster): void {
  describe(`Transport contract: ${name}`, () => {
    let cluster: ContractCluster | null = null;

    afterEach(async () => {
      await cluster?.close();
      cluster = null;
    });

    async function startAll(limits: Partial<TransportLimits> = {}): Promise<{
      transports: Map<NodeId, ContractTransport>;
      recorders: Map<NodeId, Recorder>;
    }> {
      cluster = await makeCluster([A, B, C], limits);
      const transports = new Map<NodeId, ContractTransport>();
      const recorders = new Map<NodeId, Recorder>();
      for (const id of cluster.ids) {
        const recorder = new Recorder();
        recorders.set(id, recorder);
        transports.set(id, await cluster.start(id, recorder));
      }
      return { transports, recorders };
    }

    it('delivers every message type between three nodes, fields intact', async () => {
      const { transports, recorders } = await startAll();
      const types: MessageType[] = [
        'preVote',
        'preVoteResponse',
        'vote',
        'voteResponse',
        'appendResponse',
        'heartbeat',
        'heartbeatResponse',
        'timeoutNow',
      ];
      for (const from of [A, B, C]) {
        const outbound: Message[] = [];
        for (const to of [A, B, C]) {
          if (to === from) continue;
          for (const type of types) {
            outbound.push(
              makeMessage(from, to, type, {
                term: term(7),
                logTerm: term(6),
                index: logIndex(41),
                commit: logIndex(40),
                reject: type === 'appendResponse',
                rejectHint: logIndex(type === 'appendResponse' ? 39 : 0),
                context:
                  type === 'heartbeat' ? new TextEncoder().encode('read-1') : new Uint8Array(0),
              }),
            );
          }
          outbound.push(makeAppend(from, to, 41, 3, 100));
        }
        transports.get(from)!.send(outbound);
      }
      const perNode = 2 * (types.length + 1);
      await waitFor(
        () => [...recorders.values()].every((r) => r.messages.length === perNode),
        'every message to arrive',
      );
      const received = recorders.get(B)!.from(A);
      expect(received.map((m) => m.type)).toEqual([...types, 'append']);
      const heartbeat = received.find((m) => m.type === 'heartbeat')!;
      expect(heartbeat).toMatchObject({
        from: A,
        to: B,
        term: 7,
        logTerm: 6,
        index: 41,
        commit: 40,
        reject: false,
      });
      expect(new TextDecoder().decode(heartbeat.context)).toBe('read-1');
      const rejection = received.find((m) => m.type === 'appendResponse')!;
      expect(rejection).toMatchObject({ reject: true, rejectHint: 39 });
      const append = received.find((m) => m.type === 'append')!;
      expect(append.entries.map((e) => [e.term, e.index, e.kind, e.data.length])).toEqual([
        [2, 42, 'normal', 100],
        [2, 43, 'normal', 100],
        [2, 44, 'normal', 100],
      ]);
      expect(Array.from(append.entries[2]!.data.subarray(0, 3))).toEqual([44, 44, 44]);
      for (const [id, recorder] of recorders) {
        expect(recorder.messages.every((m) => m.to === id)).toBe(true);
      }
    });

    it('keeps the order of messages to one peer across many sends', async () => {
      const { transports, recorders } = await startAll();
      const total = 3000;
      for (let index = 0; index < total; index += 1) {
        transports.get(A)!.send([makeAppend(A, B, index)]);
        if (index % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => recorders.get(B)!.messages.length === total, 'all appends to arrive');
      expect(recorders.get(B)!.messages.map((m) => m.index)).toEqual(
        Array.from({ length: total }, (_, i) => i),
      );
    });

    it('batches many queued messages into few writes', async () => {
      const { transports, recorders } = await startAll({ maxQueuedMessagesPerPeer: 10_000 });
      const total = 5000;
      transports.get(A)!.send(Array.from({ length: total }, (_, i) => makeAppend(A, C, i, 1, 64)));
      await waitFor(() => recorders.get(C)!.messages.length === total, 'all appends to arrive');
      const stats = peerStats(transports.get(A)!, C);
      expect(stats.sentMessages).toBe(total);
      expect(stats.sentBatches).toBeLessThan(total / 10);
      expect(stats.maxBatchMessages).toBeGreaterThan(1);
      expect(recorders.get(C)!.messages.map((m) => m.index)).toEqual(
        Array.from({ length: total }, (_, i) => i),
      );
    });

    it('delivers a large snapshot intact and reports it finished', async () => {
      const { transports, recorders } = await startAll();
      const data = new Uint8Array(6 * 1024 * 1024 + 12_345);
      const rng = new SeededRng(42);
      for (let i = 0; i < data.length; i += 1) data[i] = rng.int(0, 256);
      const meta = {
        index: logIndex(900),
        term: term(5),
        conf: { voters: [A, B, C], learners: [nodeId('d')] },
      };
      transports
        .get(A)!
        .send([makeMessage(A, B, 'snapshot', { term: term(5), snapshot: { meta, data } })]);
      await waitFor(() => recorders.get(A)!.snapshotStatuses.length === 1, 'the snapshot status');
      expect(recorders.get(A)!.snapshotStatuses).toEqual([{ peer: B, status: 'finished' }]);
      await waitFor(() => recorders.get(B)!.messages.length === 1, 'the snapshot message');
      const received = recorders.get(B)!.messages[0]!;
      expect(received).toMatchObject({ type: 'snapshot', from: A, to: B, term: 5 });
      expect(received.snapshot!.meta).toEqual(meta);
      expect(received.snapshot!.data.length).toBe(data.length);
      expect(Buffer.from(received.snapshot!.data).equals(Buffer.from(data))).toBe(true);
      expect(peerStats(transports.get(A)!, B).snapshotsFinished).toBe(1);
    });

    it('reports a down peer as unreachable, fails its snapshot, and never throws from send', async () => {
      const { transports, recorders } = await startAll();
      await cluster!.stop(C);
      const a = transports.get(A)!;
      expect(() => {
        a.send([makeMessage(A, C, 'heartbeat')]);
      }).not.toThrow();
      await waitFor(() => recorders.get(A)!.unreachable.includes(C), 'onUnreachable(c)');
      const meta = { index: logIndex(1), term: term(1), conf: { voters: [A, B, C], learners: [] } };
      a.send([makeMessage(A, C, 'snapshot', { snapshot: { meta, data: new Uint8Array(1000) } })]);
      await waitFor(() => recorders.get(A)!.snapshotStatuses.length === 1, 'the snapshot status');
      expect(recorders.get(A)!.snapshotStatuses).toEqual([{ peer: C, status: 'failed' }]);
      // The others are unaffected.
      a.send([makeMessage(A, B, 'heartbeat')]);
      await waitFor(() => recorders.get(B)!.messages.length === 1, 'the heartbeat to b');
    });

    it('delivers again once a down peer comes back', async () => {
      const { transports, recorders } = await startAll();
      const a = transports.get(A)!;
      await cluster!.stop(C);
      a.send([makeMessage(A, C, 'heartbeat')]);
      await waitFor(() => recorders.get(A)!.unreachable.includes(C), 'onUnreachable(c)');
      const revived = new Recorder();
      await cluster!.start(C, revived);
      // Raft retransmits; so does this loop, until the peer hears one.
      let round = 0;
      await waitFor(() => {
        round += 1;
        a.send([makeMessage(A, C, 'heartbeat', { commit: logIndex(round) })]);
        return revived.messages.length > 0;
      }, 'a heartbeat to reach the restarted peer');
      expect(revived.messages[0]).toMatchObject({ type: 'heartbeat', from: A, to: C });
    });

    it("carries each node's storage report to its peers, passing on changes only", async () => {
      const { transports, recorders } = await startAll();
      const a = transports.get(A)!;
      const atB = recorders.get(B)!;
      const heartbeatsSeen = (): number => atB.from(A).length;
      const sendAndWait = async (what: string): Promise<void> => {
        const before = heartbeatsSeen();
        a.send([makeMessage(A, B, 'heartbeat')]);
        await waitFor(() => heartbeatsSeen() > before, what);
      };
      const MIB = 1024 * 1024;
      await sendAndWait('a heartbeat while healthy');
      expect(atB.storageReports).toEqual([]);

      const low = (diskFreeBytes: number, diskCritical = false) => ({
        diskLow: true,
        diskCritical,
        diskFreeBytes,
      });
      a.setLocalStorage(low(10 * MIB));
      await sendAndWait('a heartbeat while low');
      // Reported once, before the batch's messages, and not again for the same state.
      a.setLocalStorage(low(10 * MIB - 1000));
      await sendAndWait('another heartbeat while low');
      a.setLocalStorage(low(8 * MIB));
      await sendAndWait('a heartbeat after the free space moved');
      // Critical is news even when the free space hardly moved.
      a.setLocalStorage(low(8 * MIB - 1000, true));
      await sendAndWait('a heartbeat while critical');
      a.setLocalStorage({ diskLow: false, diskCritical: false, diskFreeBytes: 900 * MIB });
      await sendAndWait('a heartbeat with room again');
      await sendAndWait('a last heartbeat');
      expect(atB.storageReports).toEqual([
        { peer: A, storage: low(10 * MIB) },
        { peer: A, storage: low(8 * MIB) },
        { peer: A, storage: low(8 * MIB - 1000, true) },
        // Room again; the free space travels only with a low report (healthy batches are as before).
        { peer: A, storage: { diskLow: false, diskCritical: false, diskFreeBytes: 0 } },
      ]);
      // Only the sender's report travels: C heard nothing of A's.
      expect(recorders.get(C)!.storageReports).toEqual([]);
    });

    it('bounds the queue of a dead peer: drops rather than grows', async () => {
      const maxQueuedMessagesPerPeer = 1000;
      const { transports, recorders } = await startAll({ maxQueuedMessagesPerPeer });
      const a = transports.get(A)!;
      await cluster!.stop(C);
      const total = 100_000;
      const heartbeat = makeMessage(A, C, 'heartbeat');
      for (let sent = 0; sent < total; sent += 10_000) {
        a.send(Array.from({ length: 10_000 }, () => heartbeat));
        expect(peerStats(a, C).queuedMessages).toBeLessThanOrEqual(maxQueuedMessagesPerPeer);
      }
      const stats = peerStats(a, C);
      expect(stats.queuedMessages).toBeLessThanOrEqual(maxQueuedMessagesPerPeer);
      expect(stats.droppedMessages).toBeGreaterThanOrEqual(
        total - maxQueuedMessagesPerPeer - stats.sentMessages,
      );
      await waitFor(() => recorders.get(A)!.unreachable.includes(C), 'onUnreachable(c)');
      expect(peerStats(a, C).queuedMessages).toBeLessThanOrEqual(maxQueuedMessagesPerPeer);
    });

    it('drops a message larger than maxMessageBytes, counts it, and keeps going', async () => {
      const limits = {
        maxMessageBytes: 64 * 1024,
        maxBatchBytes: 32 * 1024,
        snapshotChunkBytes: 32 * 1024,
      };
      const { transports, recorders } = await startAll(limits);
      const a = transports.get(A)!;
      a.send([
        makeAppend(A, B, 0, 1, 100),
        makeAppend(A, B, 1, 1, 70 * 1024),
        makeAppend(A, B, 2, 1, 100),
      ]);
      await waitFor(() => recorders.get(B)!.messages.length === 2, 'the two small appends');
      expect(recorders.get(B)!.messages.map((m) => m.index)).toEqual([0, 2]);
      expect(peerStats(a, B).droppedMessages).toBe(1);
    });

    it('stops delivering to a removed peer', async () => {
      const { transports, recorders } = await startAll();
      const a = transports.get(A)!;
      a.removePeer(B);
      a.removePeer(B);
      expect(() => {
        a.send([makeMessage(A, B, 'heartbeat', { commit: logIndex(1) })]);
      }).not.toThrow();
      expect(a.stats().peers.has(B)).toBe(false);
      // Re-added, the peer receives later messages; had the first been queued it would come first.
      a.addPeer(B, cluster!.addressOf(B));
      a.send([makeMessage(A, B, 'heartbeat', { commit: logIndex(2) })]);
      await waitFor(() => recorders.get(B)!.messages.length >= 1, 'the heartbeat after re-adding');
      expect(recorders.get(B)!.messages.map((m) => m.commit)).toEqual([2]);
    });

    it('closes cleanly: idempotent, silent afterwards, and seen as down by its peers', async () => {
      const { transports, recorders } = await startAll();
      const a = transports.get(A)!;
      a.send([makeMessage(A, B, 'heartbeat')]);
      await waitFor(() => recorders.get(B)!.messages.length === 1, 'the first heartbeat');
      await a.close();
      await a.close();
      expect(() => {
        a.send([makeMessage(A, B, 'heartbeat')]);
      }).not.toThrow();
      transports.get(B)!.send([makeMessage(B, A, 'heartbeat')]);
      await waitFor(() => recorders.get(B)!.unreachable.includes(A), 'b to see a as unreachable');
      expect(recorders.get(A)!.messages).toEqual([]);
      expect(recorders.get(B)!.messages.length).toBe(1);
    });
  });
}
