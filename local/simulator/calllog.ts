/**
 * The call log (one entry per ARM request, a bounded ring) and counters per operation: reads, writes, deletes,
 * actions, 429s (throttled) and other errors.
 */

export interface CallLogEntry {
  /** Increasing sequence number: read `/_sim/calls?since=N` to get only newer entries. */
  readonly seq: number;
  readonly time: string;
  readonly simTime: string;
  readonly method: string;
  readonly path: string;
  readonly operation: string;
  readonly status: number;
  readonly principal: string | undefined;
  readonly latencyMs: number;
  /** `throttled`, `injected:<status>`, `ambiguous:<mode>`, `forbidden` when something other than the handler answered. */
  readonly note?: string;
}

export interface OperationCounters {
  reads: number;
  writes: number;
  deletes: number;
  actions: number;
  throttled: number;
  errors: number;
}

export class CallLog {
  private readonly entries: CallLogEntry[] = [];
  private seq = 0;
  private readonly capacity: number;
  private readonly counters = new Map<string, OperationCounters>();

  constructor(capacity = 20_000) {
    this.capacity = capacity;
  }

  add(entry: Omit<CallLogEntry, 'seq'>, kind: 'read' | 'write' | 'delete' | 'action' | undefined): CallLogEntry {
    const full: CallLogEntry = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    let c = this.counters.get(entry.operation);
    if (!c) {
      c = { reads: 0, writes: 0, deletes: 0, actions: 0, throttled: 0, errors: 0 };
      this.counters.set(entry.operation, c);
    }
    if (kind === 'read') c.reads++;
    else if (kind === 'write') c.writes++;
    else if (kind === 'delete') c.deletes++;
    else if (kind === 'action') c.actions++;
    if (entry.status === 429) c.throttled++;
    else if (entry.status >= 400 || entry.status === 0) c.errors++;
    return full;
  }

  list(since = 0): CallLogEntry[] {
    return this.entries.filter((e) => e.seq > since);
  }

  counts(): Record<string, OperationCounters> {
    const out: Record<string, OperationCounters> = {};
    for (const [op, c] of [...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b))) out[op] = { ...c };
    return out;
  }

  clear(): void {
    this.entries.length = 0;
  }

  resetCounters(): void {
    this.counters.clear();
  }
}
