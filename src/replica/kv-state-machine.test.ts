import { describe, expect, it } from 'vitest';
import { logIndex, term } from '../lib/index.ts';
import type { KvRange, KvView } from '../lib/index.ts';
import { CommandFamily, wrapCommand } from './command.ts';
import {
  KvStateMachine,
  kvDelete,
  kvPut,
  readAddressBook,
  readUserValue,
  setMemberAddress,
} from './kv-state-machine.ts';
import { CommandRouter } from './router.ts';

/** A plain in-memory KvView (the test's own stand-in for a state batch; the replica tests use LevelDB). */
class MapView implements KvView {
  readonly data = new Map<string, Uint8Array>();
  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.data.get(key));
  }
  scan(range: KvRange): Promise<Array<readonly [string, Uint8Array]>> {
    const rows = [...this.data.entries()]
      .filter(([k]) => k >= range.gte && k < range.lt)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return Promise.resolve(rows.slice(0, range.limit));
  }
  put(key: string, value: Uint8Array): void {
    this.data.set(key, value);
  }
  del(key: string): void {
    this.data.delete(key);
  }
}

const context = { index: logIndex(1), term: term(1) };
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('KV state machine behind the router', () => {
  const router = new CommandRouter().register(CommandFamily.KV, new KvStateMachine());

  it('puts, reads and deletes user values', async () => {
    const view = new MapView();
    expect(await router.apply(kvPut('a', bytes('1')), context, view)).toEqual({ ok: true });
    expect(await readUserValue(view, 'a')).toEqual(bytes('1'));
    await router.apply(kvDelete('a'), context, view);
    expect(await readUserValue(view, 'a')).toBeUndefined();
  });

  it('keeps the member address book apart from user keys', async () => {
    const view = new MapView();
    await router.apply(setMemberAddress('n4', '127.0.0.1:7004'), context, view);
    await router.apply(kvPut('n4', bytes('user')), context, view);
    expect(await readAddressBook(view)).toEqual(new Map([['n4', '127.0.0.1:7004']]));
  });

  it('rejects an unknown family or malformed command without writing', async () => {
    const view = new MapView();
    expect(
      await router.apply(wrapCommand(CommandFamily.ENGINE, bytes('x')), context, view),
    ).toMatchObject({ ok: false });
    expect(await router.apply(new Uint8Array(0), context, view)).toMatchObject({ ok: false });
    expect(
      await router.apply(Uint8Array.of(CommandFamily.KV, 1, 0, 0, 0, 9), context, view),
    ).toMatchObject({ ok: false });
    expect(view.data.size).toBe(0);
  });

  it('handles non-ASCII keys and empty values', async () => {
    const view = new MapView();
    await router.apply(kvPut('ключ/✓', new Uint8Array(0)), context, view);
    expect(await readUserValue(view, 'ключ/✓')).toEqual(new Uint8Array(0));
  });
});
