import { describe, expect, it } from 'vitest';
import { exitReason } from './exit-reason.ts';

describe('exitReason', () => {
  it("prefers the CLI's own line even when log lines follow it", () => {
    const tail = [
      '{"level":30,"msg":"node starting"}',
      'baton: node n1 was removed from cluster local',
      '{"level":30,"msg":"replica stopped"}',
      '',
    ].join('\n');
    expect(exitReason(tail)).toBe('baton: node n1 was removed from cluster local');
  });

  it('falls back to the last error-level log line, then to the last line', () => {
    const withError = '{"level":50,"msg":"disk full"}\n{"level":30,"msg":"replica stopped"}\n';
    expect(exitReason(withError)).toBe('{"level":50,"msg":"disk full"}');
    expect(exitReason('{"level":30,"msg":"a"}\n{"level":30,"msg":"b"}\n')).toBe(
      '{"level":30,"msg":"b"}',
    );
    expect(exitReason('')).toBe('');
  });
});
