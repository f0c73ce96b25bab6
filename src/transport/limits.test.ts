import { describe, expect, it } from 'vitest';
import { InvalidTransportLimitsError } from './errors.ts';
import { DEFAULT_TRANSPORT_LIMITS, resolveTransportLimits } from './limits.ts';

describe('resolveTransportLimits', () => {
  it('fills in defaults and keeps overrides', () => {
    expect(resolveTransportLimits()).toEqual(DEFAULT_TRANSPORT_LIMITS);
    expect(resolveTransportLimits({ maxQueuedMessagesPerPeer: 10 }).maxQueuedMessagesPerPeer).toBe(
      10,
    );
  });

  it.each([
    [{ maxQueuedMessagesPerPeer: 0 }, /maxQueuedMessagesPerPeer must be a positive integer/],
    [{ maxBatchBytes: 1.5 }, /maxBatchBytes must be a positive integer/],
    [
      { maxBatchBytes: DEFAULT_TRANSPORT_LIMITS.maxMessageBytes + 1 },
      /maxBatchBytes must not exceed maxMessageBytes/,
    ],
    [{ snapshotChunkBytes: DEFAULT_TRANSPORT_LIMITS.maxMessageBytes + 1 }, /snapshotChunkBytes/],
    [{ backoffInitialMs: 2000, backoffMaxMs: 1000 }, /backoffInitialMs/],
  ])('refuses %o', (overrides, pattern) => {
    expect(() => resolveTransportLimits(overrides)).toThrow(InvalidTransportLimitsError);
    expect(() => resolveTransportLimits(overrides)).toThrow(pattern);
  });
});
