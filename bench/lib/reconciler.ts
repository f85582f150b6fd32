/**
 * The mesh reconciler's durable status, read from the local host's durable API on its loopback RPC endpoint (what the
 * app's own durable client calls; no ARM, no Cosmos).
 */
import { z } from 'zod';
import type { Sandbox } from '../../local/sandbox/sandbox.js';
import { reconcilerInstanceId } from '../../orchestrations/names.js';

const StatusSchema = z.looseObject({
  runtimeStatus: z.string(),
  customStatus: z
    .looseObject({
      phase: z.string(),
      cycles: z.int().optional(),
      pendingChanges: z.int().optional(),
      pendingApplies: z.int().optional(),
    })
    .nullable()
    .optional(),
});

export interface ReconcilerStatus {
  readonly runtimeStatus: string;
  readonly phase: string | null;
  readonly cycles: number;
  readonly pending: number;
}

export async function reconcilerStatus(sandbox: Sandbox, profile: string): Promise<ReconcilerStatus | undefined> {
  const r = await fetch(`${sandbox.host.rpcBaseUrl}instances/${encodeURIComponent(reconcilerInstanceId(profile))}`);
  const text = await r.text();
  if (r.status === 404) return undefined;
  const parsed = StatusSchema.parse(JSON.parse(text));
  const custom = parsed.customStatus ?? null;
  return {
    runtimeStatus: parsed.runtimeStatus,
    phase: custom?.phase ?? null,
    cycles: custom?.cycles ?? 0,
    pending: (custom?.pendingChanges ?? 0) + (custom?.pendingApplies ?? 0),
  };
}

/** Idle: waiting for a signal with nothing pending. */
export function isIdle(s: ReconcilerStatus | undefined): s is ReconcilerStatus {
  return s !== undefined && s.phase === 'idle' && s.pending === 0;
}
