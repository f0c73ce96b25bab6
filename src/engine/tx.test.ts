import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, utf8 } from './codec.ts';
import { compareKeys, escapeComponent, keys, prefixRange, unescapeComponent } from './keys.ts';
import { MemoryKv } from './testing/memory-kv.ts';
import { Tx } from './tx.ts';

describe('Tx', () => {
  it('scans like the view would after flushing, whatever the overlay holds', async () => {
    const key = fc.stringMatching(/^[a-d]{1,3}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(key, { maxLength: 20 }),
        fc.array(fc.tuple(key, fc.boolean()), { maxLength: 20 }),
        fc.integer({ min: 1, max: 10 }),
        fc.boolean(),
        async (base, writes, limit, reverse) => {
          const view = new MemoryKv();
          for (const k of base) view.put(k, utf8(`base-${k}`));
          const tx = new Tx(view);
          for (const [k, isPut] of writes) {
            if (isPut) tx.put(k, utf8(`tx-${k}`));
            else tx.del(k);
          }
          const range = { gte: 'b', lt: 'd', limit, reverse };
          const seen = await tx.scan(range);
          tx.flushTo(view);
          expect(seen).toEqual(await view.scan(range));
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('reads its own writes and deletes', async () => {
    const view = new MemoryKv();
    view.put('a', utf8('1'));
    const tx = new Tx(view);
    tx.del('a');
    tx.putJson('b', { z: 1, a: 2 });
    expect(await tx.get('a')).toBeUndefined();
    expect(await tx.getJson('b')).toEqual({ a: 2, z: 1 });
    expect(await view.get('b')).toBeUndefined();
  });
});

describe('keys', () => {
  it('orders like UTF-8 bytes, also above U+FFFF', () => {
    const sample = ['a', 'b', '\uffff', '\u{1F600}', 'a\u{10000}', 'a\uffff', ''];
    const byBytes = [...sample].sort((x, y) =>
      Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')),
    );
    expect([...sample].sort(compareKeys)).toEqual(byBytes);
  });

  it('escapes user components so a prefix scan never leaks into a neighbour', () => {
    expect(escapeComponent('a/b%c')).toBe('a%2fb%25c');
    expect(unescapeComponent(escapeComponent('a/b%c\n'))).toBe('a/b%c\n');
    const range = prefixRange(keys.readyOfType('a'));
    expect(
      compareKeys(keys.ready('a/b', 50, 1, 'x/0000000001'), range.gte) >= 0 &&
        compareKeys(keys.ready('a/b', 50, 1, 'x/1'), range.lt) < 0,
    ).toBe(false);
  });

  it('sorts ready tasks by priority (high first), then by log index', () => {
    const ordered = [
      keys.ready('t', 90, 5, 'x/2'),
      keys.ready('t', 50, 1, 'x/1'),
      keys.ready('t', 50, 3, 'x/3'),
    ];
    expect([...ordered].reverse().sort(compareKeys)).toEqual(ordered);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: [{ d: 1, c: undefined, a: -0 }], a: 'x' })).toBe(
      '{"a":"x","b":[{"a":0,"d":1}]}',
    );
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(RangeError);
    expect(() => canonicalJson({ x: 1n })).toThrow(RangeError);
  });
});

describe('wait times', () => {
  it('reads ISO 8601 only, a missing zone as UTC', async () => {
    const { parseIsoTimeMs } = await import('./flow.ts');
    expect(parseIsoTimeMs('2026-01-02T03:04:05')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(parseIsoTimeMs('2026-01-02T03:04:05+01:00')).toBe(Date.UTC(2026, 0, 2, 2, 4, 5));
    expect(parseIsoTimeMs('2026-01-02')).toBe(Date.UTC(2026, 0, 2));
    expect(parseIsoTimeMs('Jan 2 2026')).toBeNaN();
  });
});
