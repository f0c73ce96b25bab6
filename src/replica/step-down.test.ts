/**
 * A leader that loses leadership fails its waiting proposals at once with UNAVAILABLE (and the
 * node's leader hint), instead of holding them until requestTimeoutMs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProposalDroppedError } from '../raft/index.ts';
import { kvPut } from './kv-state-machine.ts';
import { TestCluster, waitFor } from './testing/cluster.ts';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe('proposals on a deposed leader', () => {
  it('fail fast with UNAVAILABLE when the leader is cut off and steps down', async () => {
    // A request timeout far beyond the test's own: only the step-down can settle the proposal.
    cluster = await TestCluster.start(['n1', 'n2', 'n3'], {
      replica: { requestTimeoutMs: 600_000 },
    });
    const leader = await cluster.leader();
    await leader.replica.propose(kvPut('warm', new Uint8Array([1])));
    cluster.network.isolate(leader.id);
    const outcome = leader.replica.propose(kvPut('lost', new Uint8Array([2]))).then(
      () => null,
      (error: unknown) => error,
    );
    const error = await outcome;
    expect(error).toBeInstanceOf(ProposalDroppedError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(leader.replica.isLeader()).toBe(false);
    // The two others are a majority: they elect one of themselves while the old leader is cut
    // off. (Waiting only after healing was racy: if they had not elected yet, the old leader, whose
    // log holds the extra uncommitted entry, could win again.)
    const others = [...cluster.nodes.values()].filter((n) => n.id !== leader.id);
    await waitFor(() => others.some((n) => n.replica.isLeader()), 'a new leader among the others');
    cluster.network.heal();
    await waitFor(
      () => leader.replica.status().leader !== null && !leader.replica.isLeader(),
      'the old leader to follow the new one',
    );
  });

  it('keeps proposals waiting through a transfer it asked for, and they commit', async () => {
    cluster = await TestCluster.start(['n1', 'n2', 'n3']);
    const leader = await cluster.leader();
    await leader.replica.propose(kvPut('warm', new Uint8Array([1])));
    const pending = leader.replica.propose(kvPut('moving', new Uint8Array([3])));
    const target = [...cluster.nodes.values()].find((n) => n.id !== leader.id)!;
    await leader.replica.transferLeadership(target.id);
    const result = await pending;
    expect(result.index).toBeGreaterThan(0);
  });
});
