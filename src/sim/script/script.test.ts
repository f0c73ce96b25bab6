import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript, printScript } from './datadriven.ts';
import { ScriptInterpreter } from './interpreter.ts';

// UPDATE_GOLDEN=1 npx vitest run src/sim/script rewrites the expected outputs. Read the diff:
// a golden trace is a claim that this is correct Raft behaviour.
const TESTDATA = join(import.meta.dirname, 'testdata');
const update = process.env['UPDATE_GOLDEN'] === '1';

describe('protocol scripts (src/sim/script/testdata)', () => {
  for (const file of readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.txt'))
    .sort()) {
    it(file, () => {
      const path = join(TESTDATA, file);
      const cases = parseScript(readFileSync(path, 'utf8'));
      const interpreter = new ScriptInterpreter();
      const outputs = cases.map((c) => interpreter.run(c.command));
      if (update) {
        writeFileSync(path, printScript(cases, outputs));
        return;
      }
      for (const [k, c] of cases.entries()) {
        expect(outputs[k]!.join('\n'), `${file}:${c.line}: ${c.command}`).toBe(
          c.expected.join('\n'),
        );
      }
    });
  }
});
