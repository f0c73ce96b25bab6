import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { BatonError, nodeId } from '../lib/index.ts';
import { NotLeaderError, UncommittedLimitError } from '../raft/errors.ts';
import { PendingProposalLimitError, RequestTimeoutError } from '../replica/index.ts';
import { ValidationError } from './errors.ts';
import { LEADER_ADDRESS_METADATA_KEY, LEADER_METADATA_KEY, toServiceError } from './status.ts';

describe('toServiceError', () => {
  const hint = { id: 'n2', address: '127.0.0.1:7002' };

  it('maps typed errors to their gRPC status and attaches the leader hint', () => {
    const status = toServiceError(new NotLeaderError(nodeId('n2')), hint);
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.metadata?.get(LEADER_METADATA_KEY)).toEqual(['n2']);
    expect(status.metadata?.get(LEADER_ADDRESS_METADATA_KEY)).toEqual(['127.0.0.1:7002']);
  });

  it.each([
    [new ValidationError('key', 'too long'), grpc.status.INVALID_ARGUMENT],
    [new PendingProposalLimitError(10), grpc.status.RESOURCE_EXHAUSTED],
    [new UncommittedLimitError(10), grpc.status.RESOURCE_EXHAUSTED],
    [new RequestTimeoutError('x', 1), grpc.status.DEADLINE_EXCEEDED],
    [new BatonError('DATA_LOSS', 'disk'), grpc.status.DATA_LOSS],
    [new Error('bug'), grpc.status.INTERNAL],
  ])('maps %s', (error, code) => {
    expect(toServiceError(error, { id: null, address: null }).code).toBe(code);
  });

  it('omits the hint when no leader is known', () => {
    const status = toServiceError(new NotLeaderError(null), { id: null, address: null });
    expect(status.metadata?.get(LEADER_METADATA_KEY)).toEqual([]);
  });
});
