/**
 * The local host's durable API as the tests need it (its loopback RPC endpoint, what the app's durable client calls):
 * raise events on an instance, read an instance's status with its history, and count activity invocations from the
 * host's log lines.
 */
import type { Sandbox } from '../../../local/sandbox/sandbox.js';
import { reconcilerInstanceId } from '../../../orchestrations/names.js';

export interface InstanceView {
  readonly runtimeStatus: string;
  readonly customStatus: Record<string, unknown> | null;
  /** The orchestrator's return value once it finished (null before). */
  readonly output: unknown;
  readonly historyEvents: number;
}

/** Raises `name` with `data` on an instance; throws unless the host accepted it (202). */
export async function raiseEvent(sandbox: Sandbox, instanceId: string, name: string, data: unknown): Promise<void> {
  const r = await fetch(
    `${sandbox.host.rpcBaseUrl}instances/${encodeURIComponent(instanceId)}/raiseEvent/${encodeURIComponent(name)}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) },
  );
  if (r.status !== 202) throw new Error(`raiseEvent ${name} on ${instanceId}: ${r.status} ${await r.text()}`);
}

/** Starts orchestration `name` as `instanceId` with `input` (what the durable client calls); throws unless 202. */
export async function startInstance(sandbox: Sandbox, name: string, instanceId: string, input: unknown): Promise<void> {
  const r = await fetch(
    `${sandbox.host.rpcBaseUrl}orchestrators/${encodeURIComponent(name)}/${encodeURIComponent(instanceId)}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    },
  );
  if (r.status !== 202) throw new Error(`start ${name} as ${instanceId}: ${r.status} ${await r.text()}`);
}

/** Terminates an instance; throws unless the host accepted it (202). The instance stops shortly after. */
export async function terminateInstance(sandbox: Sandbox, instanceId: string, reason: string): Promise<void> {
  const r = await fetch(
    `${sandbox.host.rpcBaseUrl}instances/${encodeURIComponent(instanceId)}/terminate?reason=${encodeURIComponent(reason)}`,
    { method: 'POST' },
  );
  if (r.status !== 202) throw new Error(`terminate ${instanceId}: ${r.status} ${await r.text()}`);
}

/** An instance's status and the size of its current execution's history (undefined when there is no instance). */
export async function instance(sandbox: Sandbox, instanceId: string): Promise<InstanceView | undefined> {
  const r = await fetch(`${sandbox.host.rpcBaseUrl}instances/${encodeURIComponent(instanceId)}?showHistory=true`);
  if (r.status === 404) return undefined;
  const body = (await r.json()) as {
    runtimeStatus: string;
    customStatus?: Record<string, unknown> | null;
    output?: unknown;
    historyEvents?: unknown[];
  };
  return {
    runtimeStatus: body.runtimeStatus,
    customStatus: body.customStatus ?? null,
    output: body.output ?? null,
    historyEvents: body.historyEvents?.length ?? 0,
  };
}

/** The reconciler's history statistics kept by the host: peak history of any execution, executions continued. */
export function reconcilerHistory(
  sandbox: Sandbox,
  profile = 'demo',
): { peakHistoryEvents: number; continuedAsNew: number } {
  const stats = sandbox.host.durableHistoryStats().find((s) => s.instanceId === reconcilerInstanceId(profile));
  return { peakHistoryEvents: stats?.peakHistoryEvents ?? 0, continuedAsNew: stats?.continuedAsNew ?? 0 };
}

/** A host log sink that counts invocations per function name (pass its `sink` as `hostLogSink`). */
export class InvocationCounter {
  private readonly counts = new Map<string, number>();

  readonly sink = (_level: string, line: string): void => {
    if (!line.includes('function invoked')) return;
    try {
      const record = JSON.parse(line) as { message?: string; function?: string };
      if (record.message !== 'function invoked' || typeof record.function !== 'string') return;
      this.counts.set(record.function, (this.counts.get(record.function) ?? 0) + 1);
    } catch {
      // Not a JSON log line.
    }
  };

  count(functionName: string): number {
    return this.counts.get(functionName) ?? 0;
  }
}
