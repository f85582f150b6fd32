/**
 * Why a member failed to connect, from ARM: the member's own error, and the preflight rules run on a snapshot of just
 * that member (its cluster, VNets and the cluster identity's role assignments). The cause decides the remediation:
 *
 * - `networkRoleMissing`: the identity lacks subnet read + join on a VNet → grant Network Contributor, reconcile the
 *   cluster, re-apply (the documented runbook fix);
 * - `authorizationPending`: the role is there but the member still reports the 403 → the cluster has not picked it
 *   up: reconcile, re-apply;
 * - `prerequisite`: a blocking finding (version, CNI, overlay, ACNS, subnets) → reported, not retried;
 * - `unknown`: reported with the evidence, never retried blindly.
 */
import { parseResourceId } from '../arm/resourceId.js';
import { emptySnapshot, runPreflight } from '../domain/index.js';
import { clusterVnetIds } from '../domain/preflight/snapshot.js';
import { clusterPrincipalId } from '../models/index.js';
import type { Diagnosis } from '../../orchestrations/contracts.js';
import { gatherSnapshot, type PlannerDeps } from './planner.js';

const AUTHORIZATION_FAILURE = /AuthorizationFailed|403|does not have authorization/i;

export async function diagnoseMember(deps: PlannerDeps, member: string, profileId: string): Promise<Diagnosis> {
  const m = await deps.gateways.fleet.getMember(member);
  const clusterResourceId = m.properties.clusterResourceId;
  const memberError = m.properties.meshProperties?.status.error;
  const evidence: string[] = [];
  if (memberError) evidence.push(`member error ${memberError.code ?? '(no code)'}: ${memberError.message ?? ''}`);
  const snapshot = await gatherSnapshot(deps, emptySnapshot(profileId, [m]));
  const cluster = Object.values(snapshot.clusters)[0];
  const principalId = cluster ? (clusterPrincipalId(cluster) ?? null) : null;
  const findings = runPreflight(snapshot).findings.filter((f) => f.member === undefined || f.member === m.name);
  for (const f of findings) evidence.push(`${f.severity} ${f.checkId}: ${f.message}`);
  for (const r of snapshot.readFailures) evidence.push(`could not read ${r.kind} ${r.id}: ${r.reason}`);

  const missingRole = findings.filter((f) => f.checkId === 'identity.networkRole' && f.resourceId !== undefined);
  const base = { member: m.name, principalId, clusterResourceId, evidence };
  if (missingRole.length > 0 && principalId) {
    return { ...base, cause: 'networkRoleMissing', vnetIds: missingRole.map((f) => f.resourceId ?? '') };
  }
  const vnetIds = cluster ? clusterVnetIds(cluster) : [];
  if (findings.some((f) => f.severity === 'error')) return { ...base, cause: 'prerequisite', vnetIds };
  const text = `${memberError?.code ?? ''} ${memberError?.message ?? ''}`;
  if (principalId && AUTHORIZATION_FAILURE.test(text)) return { ...base, cause: 'authorizationPending', vnetIds };
  if (evidence.length === 0) evidence.push(`member '${m.name}' reports no error detail`);
  return { ...base, cause: 'unknown', vnetIds };
}

/** The VNet names of a diagnosis, for messages. */
export function vnetNames(d: Diagnosis): string {
  return d.vnetIds.map((id) => parseResourceId(id).name).join(', ');
}
