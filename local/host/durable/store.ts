/**
 * Where orchestration instances live: one record per instance (status, history of the current execution, inbox of
 * events not yet replayed, activities and timers it is waiting for, messages to other instances). The engine keeps the
 * records in memory and writes a record whole after every change it must not lose.
 *
 * FileStore makes each write crash-safe: it writes a temporary file, fsyncs it, renames it over the record and fsyncs
 * the directory, so a record on disk is always one complete version. MemoryStore keeps nothing (tests).
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { historyEventSchema } from './history.js';

export const RUNTIME_STATUSES = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
] as const;
export type RuntimeStatus = (typeof RUNTIME_STATUSES)[number];

export function isTerminal(status: RuntimeStatus): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Terminated' || status === 'Canceled';
}

const inboxItemSchema = z.object({
  /** Completions name the execution they belong to; a message for an older execution is dropped. */
  executionId: z.string().optional(),
  event: historyEventSchema,
});

const outboxSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('createChild'),
    id: z.string(),
    childId: z.string(),
    name: z.string(),
    inputJson: z.string().nullable(),
    taskId: z.number().int(),
    parentExecutionId: z.string(),
  }),
  z.object({
    kind: z.literal('notifyParent'),
    id: z.string(),
    parentId: z.string(),
    parentExecutionId: z.string(),
    event: historyEventSchema,
  }),
]);

export const instanceRecordSchema = z.object({
  version: z.literal(1),
  instanceId: z.string(),
  name: z.string(),
  executionId: z.string(),
  status: z.enum(RUNTIME_STATUSES),
  inputJson: z.string().nullable(),
  outputJson: z.string().nullable(),
  customStatusJson: z.string().nullable(),
  createdTime: z.string(),
  lastUpdatedTime: z.string(),
  parent: z.object({ instanceId: z.string(), executionId: z.string(), taskId: z.number().int() }).optional(),
  history: z.array(historyEventSchema),
  inbox: z.array(inboxItemSchema),
  activities: z.array(z.object({ taskId: z.number().int(), name: z.string(), inputJson: z.string().nullable() })),
  timers: z.array(z.object({ timerId: z.number().int(), fireAt: z.string() })),
  outbox: z.array(outboxSchema),
  suspendedBeforeStatus: z.enum(RUNTIME_STATUSES).optional(),
});

export type InstanceRecord = z.infer<typeof instanceRecordSchema>;
export type InboxItem = z.infer<typeof inboxItemSchema>;
export type OutboxMessage = z.infer<typeof outboxSchema>;

export interface InstanceStore {
  readonly description: string;
  loadAll(): Promise<{ records: InstanceRecord[]; problems: string[] }>;
  save(record: InstanceRecord): Promise<void>;
  remove(instanceId: string): Promise<void>;
}

export class MemoryStore implements InstanceStore {
  readonly description = 'memory';
  readonly #records = new Map<string, string>();
  loadAll(): Promise<{ records: InstanceRecord[]; problems: string[] }> {
    const records = [...this.#records.values()].map((text) => instanceRecordSchema.parse(JSON.parse(text)));
    return Promise.resolve({ records, problems: [] });
  }
  save(record: InstanceRecord): Promise<void> {
    this.#records.set(record.instanceId, JSON.stringify(record));
    return Promise.resolve();
  }
  remove(instanceId: string): Promise<void> {
    this.#records.delete(instanceId);
    return Promise.resolve();
  }
}

function fileNameOf(instanceId: string): string {
  return `${Buffer.from(instanceId, 'utf8').toString('base64url')}.json`;
}

export class FileStore implements InstanceStore {
  readonly description: string;
  readonly #dir: string;
  readonly #chains = new Map<string, Promise<void>>();
  #tmpCounter = 0;

  constructor(dir: string) {
    this.#dir = dir;
    this.description = `files in ${dir}`;
  }

  async loadAll(): Promise<{ records: InstanceRecord[]; problems: string[] }> {
    await mkdir(this.#dir, { recursive: true });
    const records: InstanceRecord[] = [];
    const problems: string[] = [];
    for (const entry of await readdir(this.#dir)) {
      const file = path.join(this.#dir, entry);
      if (entry.includes('.tmp-')) {
        // a write that never got renamed: the record it was replacing is still whole
        await rm(file, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      try {
        const parsed = instanceRecordSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
        if (parsed.success) records.push(parsed.data);
        else problems.push(`${file}: ${parsed.error.message}`);
      } catch (err: unknown) {
        problems.push(`${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { records, problems };
  }

  /** Writes are chained per instance so that an older snapshot can never be renamed over a newer one. */
  save(record: InstanceRecord): Promise<void> {
    const text = JSON.stringify(record);
    return this.#chain(record.instanceId, () => this.#write(fileNameOf(record.instanceId), text));
  }

  remove(instanceId: string): Promise<void> {
    return this.#chain(instanceId, async () => {
      await rm(path.join(this.#dir, fileNameOf(instanceId)), { force: true });
      await this.#syncDir();
    });
  }

  #chain(instanceId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(instanceId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#chains.set(instanceId, settled);
    void settled.then(() => {
      if (this.#chains.get(instanceId) === settled) this.#chains.delete(instanceId);
    });
    return next;
  }

  async #write(fileName: string, text: string): Promise<void> {
    const target = path.join(this.#dir, fileName);
    const tmp = `${target}.tmp-${process.pid}-${++this.#tmpCounter}`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
    await this.#syncDir();
  }

  async #syncDir(): Promise<void> {
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
