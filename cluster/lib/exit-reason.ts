/**
 * The line of a node's log that best says why it exited. A refused start or a fatal error ends
 * with the CLI's one `baton: …` line on stderr, but stderr and pino's stdout share the log file
 * without an order between them, so "the last line" may be an ordinary shutdown message logged
 * a moment later.
 */
export function exitReason(logTail: string): string {
  const lines = logTail.trimEnd().split('\n');
  const said = lines.findLast((line) => line.startsWith('baton: '));
  if (said !== undefined) return said;
  const error = lines.findLast((line) => /^\{.*"level":(50|60)[,}]/.test(line));
  return error ?? lines.at(-1) ?? '';
}
