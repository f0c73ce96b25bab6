/**
 * The file format of protocol scripts, after etcd-io/raft's testdata (cockroachdb/datadriven):
 *
 *     # comments and blank lines before a command are kept
 *     propose 1 hello
 *     ----
 *     expected output, one line per event,
 *     ending at the first blank line
 *
 * An output never contains a blank line (the interpreter prints "ok" for an empty one).
 */
export interface ScriptCase {
  readonly comments: readonly string[];
  readonly command: string;
  readonly expected: readonly string[];
  /** 1-based line of the command, for failure messages. */
  readonly line: number;
}

const SEPARATOR = '----';
/** A script longer than this is a mistake (or not a script). */
const MAX_SCRIPT_LINES = 20_000;

export function parseScript(text: string): ScriptCase[] {
  const lines = text.split('\n');
  if (lines.length > MAX_SCRIPT_LINES)
    throw new Error(`script has ${lines.length} lines, over ${MAX_SCRIPT_LINES}`);
  const cases: ScriptCase[] = [];
  let comments: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      if (line.startsWith('#')) comments.push(line);
      i++;
      continue;
    }
    const commandLine = i + 1;
    if (lines[i + 1] !== SEPARATOR)
      throw new Error(`line ${commandLine + 1}: expected "${SEPARATOR}" after "${line}"`);
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    cases.push({ comments, command: line.trim(), expected, line: commandLine });
    comments = [];
  }
  return cases;
}

export function printScript(
  cases: readonly ScriptCase[],
  outputs: readonly (readonly string[])[],
): string {
  const blocks = cases.map((c, k) =>
    [...c.comments, c.command, SEPARATOR, ...(outputs[k] ?? [])].join('\n'),
  );
  return `${blocks.join('\n\n')}\n`;
}
