/**
 * Which members an apply converges, from the plan's what-if rows: one definition, used by meshApply (the members it
 * fans out to) and by `GET /api/operations/{id}` (the members whose progress it reports while the apply runs).
 *
 * Pure and deterministic (orchestrator code imports it).
 */
import type { MemberWork } from './contracts.js';

/** The fields of a what-if row this needs (the recorded plan of an operation holds whole rows). */
export interface WorkRow {
  readonly name: string;
  readonly action: string;
  readonly meshState?: string | null | undefined;
  readonly clusterResourceId: string;
}

/**
 * The members whose state must change: `Add` and `Remove` rows, and members already in the mesh that are `Failed` (a
 * repair: they must reach `Connected` too). In plan order.
 */
export function convergenceWork(rows: readonly WorkRow[]): MemberWork[] {
  return rows
    .filter((r) => r.action === 'Add' || r.action === 'Remove' || (r.action === 'None' && r.meshState === 'Failed'))
    .map((r) => ({
      member: r.name,
      clusterResourceId: r.clusterResourceId,
      action: r.action === 'Remove' ? 'Remove' : 'Add',
    }));
}
