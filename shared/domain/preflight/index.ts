/**
 * Preflight: every rule over one snapshot, findings sorted deterministically. Never throws on missing data: what
 * could not be read becomes an error finding naming it.
 *
 * Order of findings: errors before warnings, then by check id, member, peer member, resource id and message
 * (code-unit order; mesh-wide findings, which have no member, first within their check).
 */
import { compareKeys } from '../order.js';
import { checkClusterPrerequisites } from './cluster.js';
import { buildContext } from './context.js';
import { checkClusterIdentity } from './identity.js';
import { checkMembership } from './membership.js';
import { checkFlatNetwork } from './network.js';
import { checkNetworkSecurityGroups } from './nsg.js';
import { checkRouteTables } from './routes.js';
import type { PreflightFinding, PreflightSnapshot } from './types.js';

export interface PreflightResult {
  readonly findings: readonly PreflightFinding[];
  readonly errors: number;
  readonly warnings: number;
  /** True when at least one finding is an error: the apply must not go ahead. */
  readonly blocked: boolean;
}

export function runPreflight(snapshot: PreflightSnapshot): PreflightResult {
  const { context, findings: placement } = buildContext(snapshot);
  const findings = sortFindings([
    ...placement,
    ...checkMembership(context),
    ...context.members.flatMap(checkClusterPrerequisites),
    ...checkFlatNetwork(context),
    ...checkNetworkSecurityGroups(context),
    ...checkRouteTables(context),
    ...checkClusterIdentity(context),
  ]);
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { findings, errors, warnings: findings.length - errors, blocked: errors > 0 };
}

export function hasBlockingFindings(findings: readonly PreflightFinding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

export function sortFindings(findings: readonly PreflightFinding[]): PreflightFinding[] {
  const key = (f: PreflightFinding) => [
    f.severity === 'error' ? '0' : '1',
    f.checkId,
    f.member,
    f.peerMember,
    f.resourceId,
    f.message,
  ];
  return [...findings].sort((a, b) => compareKeys(key(a), key(b)));
}

export * from './types.js';
export {
  addToSnapshot,
  clusterSubnetIds,
  clusterVnetIds,
  emptySnapshot,
  isRequestEmpty,
  normaliseSnapshot,
  requiredResources,
  ROLES_GRANTING_SUBNET_JOIN,
  type FetchedResources,
  type ResourceRequest,
} from './snapshot.js';
export { effectiveKubernetesVersion, meetsMinimumVersion, MIN_KUBERNETES_VERSION } from './cluster.js';
export { actionMatches, roleDefinitionGrants, SUBNET_ACTIONS } from './identity.js';
export { peeringProblems, virtualNetworkTagRanges } from './network.js';
export { AZURE_DEFAULT_SECURITY_RULES, effectiveRules, evaluateFlow, MESH_FLOWS, type MeshFlow } from './nsg.js';
