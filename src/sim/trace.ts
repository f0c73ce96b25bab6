import type { Message } from './raft.ts';

/** Most trace records kept: a failure prints the tail, older records are overwritten. */
export const TRACE_CAPACITY = Number(process.env['SIM_TRACE'] ?? 400);

interface TraceRecord {
  time: number;
  text: string | null;
  message: Message | null;
}

/**
 * A ring buffer of what happened last. Messages are stored by reference (they are immutable)
 * and formatted only when a failure prints the tail, so tracing costs almost nothing per step.
 */
export class Trace {
  private readonly records: TraceRecord[] = [];
  private next = 0;
  private readonly unitsPerTick: number;

  constructor(unitsPerTick: number) {
    this.unitsPerTick = unitsPerTick;
  }

  note(time: number, text: string): void {
    this.put(time, text, null);
  }

  deliver(time: number, message: Message): void {
    this.put(time, null, message);
  }

  tail(count: number): string[] {
    const total = this.records.length;
    const n = Math.min(count, total);
    const lines: string[] = [];
    for (let k = total - n; k < total; k++) {
      const record = this.records[(this.next + k) % total]!;
      const when = `t=${(record.time / this.unitsPerTick).toFixed(1)}`.padEnd(9);
      lines.push(`${when} ${record.message ? formatMessage(record.message) : record.text!}`);
    }
    return lines;
  }

  private put(time: number, text: string | null, message: Message | null): void {
    if (this.records.length < TRACE_CAPACITY) {
      this.records.push({ time, text, message });
      this.next = this.records.length % TRACE_CAPACITY;
      return;
    }
    const record = this.records[this.next]!;
    record.time = time;
    record.text = text;
    record.message = message;
    this.next = (this.next + 1) % TRACE_CAPACITY;
  }
}

/** One line per message, in the style of etcd's raft test traces. */
export function formatMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'preVote':
    case 'vote':
      return `${head} last=${m.index}/t${m.logTerm}${m.context.length > 0 ? ' (transfer)' : ''}`;
    case 'preVoteResponse':
    case 'voteResponse':
      return `${head} ${m.reject ? 'REJECT' : 'grant'}`;
    case 'append': {
      const range =
        m.entries.length === 0
          ? '[]'
          : `[${m.entries[0]!.index}..${m.entries[m.entries.length - 1]!.index}]`;
      return `${head} prev=${m.index}/t${m.logTerm} entries=${range}${describeEntries(m)} commit=${m.commit}`;
    }
    case 'appendResponse':
      return m.reject
        ? `${head} REJECT index=${m.index} hint=${m.rejectHint}/t${m.logTerm}`
        : `${head} index=${m.index}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context.length > 0 ? ` ctx=${decodeContext(m.context)}` : ''}`;
    case 'heartbeatResponse':
      return `${head}${m.context.length > 0 ? ` ctx=${decodeContext(m.context)}` : ''}`;
    case 'snapshot':
      return `${head} snapshot=${m.snapshot?.meta.index ?? '?'}/t${m.snapshot?.meta.term ?? '?'}`;
    case 'timeoutNow':
      return head;
  }
}

function describeEntries(m: Message): string {
  if (m.entries.length === 0 || m.entries.length > 4) return '';
  return ` {${m.entries.map((e) => `${e.index}/t${e.term}:${describeEntryData(e.kind, e.data)}`).join(' ')}}`;
}

export function describeEntryData(kind: string, data: Uint8Array): string {
  if (kind === 'noop') return 'noop';
  if (kind === 'config') return `conf`;
  return new TextDecoder().decode(data);
}

function decodeContext(context: Uint8Array): string {
  const text = new TextDecoder().decode(context);
  return /^[\x20-\x7e]*$/.test(text) ? text : `<${context.length} bytes>`;
}
