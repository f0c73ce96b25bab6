import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultNodeCommand } from '../../cluster/lib/node-process.ts';
import { SERVER_NODE_FLAGS } from './node-flags.ts';

const BIN = fileURLToPath(new URL('../../bin/baton.js', import.meta.url));

describe('the server V8 flags', () => {
  it('are on the shebang of bin/baton.js, which runs through it', async () => {
    const shebang = readFileSync(BIN, 'utf8').split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    expect(shebang.split(/\s+/).slice(3)).toEqual([...SERVER_NODE_FLAGS]);
    // Executed as a program (as npx and an operator's shell do), so env -S parses the line.
    const { stdout } = await promisify(execFile)(BIN, ['--help'], { timeout: 30_000 });
    expect(stdout).toContain('Usage: baton');
  });

  it('are passed by the launcher that spawns node directly', () => {
    const previous = process.env['BATON_NODE_COMMAND'];
    delete process.env['BATON_NODE_COMMAND'];
    try {
      const command = defaultNodeCommand();
      expect(command.executable).toBe(process.execPath);
      expect(command.argsPrefix.slice(0, SERVER_NODE_FLAGS.length)).toEqual([...SERVER_NODE_FLAGS]);
    } finally {
      if (previous !== undefined) process.env['BATON_NODE_COMMAND'] = previous;
    }
  });
});
