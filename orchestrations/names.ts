/**
 * Names of orchestrations, activities and external events: declared once, imported by the registration in
 * `functions/` and by every caller.
 */

export const Orchestrations = {
  meshReconciler: 'meshReconciler',
  meshApply: 'meshApply',
  convergeBatch: 'convergeBatch',
  memberConverge: 'memberConverge',
} as const;
export type OrchestrationName = (typeof Orchestrations)[keyof typeof Orchestrations];

export const Activities = {
  loadPolicy: 'loadPolicy',
  computePlan: 'computePlan',
  createOperation: 'createOperation',
  updateOperation: 'updateOperation',
  readOperation: 'readOperation',
  listPendingApplies: 'listPendingApplies',
  lastOperation: 'lastOperation',
  grantNetworkContributor: 'grantNetworkContributor',
  beginClusterReconciles: 'beginClusterReconciles',
  pollClusterReconciles: 'pollClusterReconciles',
  setMeshSelector: 'setMeshSelector',
  readMeshProfile: 'readMeshProfile',
  beginMeshApply: 'beginMeshApply',
  pollMeshApply: 'pollMeshApply',
  readMemberState: 'readMemberState',
  diagnoseMember: 'diagnoseMember',
  syncTraffic: 'syncTraffic',
  refreshMeshView: 'refreshMeshView',
  publishOutcome: 'publishOutcome',
} as const;
export type ActivityName = (typeof Activities)[keyof typeof Activities];

export const Events = {
  /** "Look again": an Event Grid notification, the resync timer, or an operator's apply request. */
  reconcile: 'Reconcile',
  /** An operator's answer to an apply waiting for approval. */
  approvalDecision: 'ApprovalDecision',
} as const;

/** The fixed instance id of a profile's reconciler (one fleet per deployment, so the profile name is unique). */
export function reconcilerInstanceId(profile: string): string {
  return `meshReconciler:${profile}`;
}

/** Child instance ids are derived from the operation id, so the HTTP API can find them without a lookup. */
export function batchInstanceId(operationId: string, round: number, batch: number): string {
  return `${operationId}:r${round}:b${batch}`;
}

export function memberInstanceId(operationId: string, round: number, member: string): string {
  return `${operationId}:r${round}:m:${member}`;
}
