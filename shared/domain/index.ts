/**
 * fleetmesh's domain core: pure, deterministic functions over JSON-serialisable snapshots (no I/O, no clock, no
 * randomness), so orchestrators can call them and their inputs and outputs can travel through durable history.
 *
 * - selector: parse, validate, print and match `memberSelector.byLabel`;
 * - whatIf: the CLI's what-if plan (`Add`/`Remove`/`None`/`Error` rows) with a stable plan id;
 * - preflight: the mesh prerequisites, as findings (errors block, warnings inform);
 * - traffic: the Traffic Manager endpoints of a mesh and the changes to get there;
 * - policy: the mesh policy schema and the apply decision.
 */
export {
  canonicalSelector,
  EMPTY_SELECTOR,
  isEmptySelector,
  labelKeyProblem,
  labelValueProblem,
  MAX_SELECTOR_LENGTH,
  memberMatches,
  parseSelector,
  printSelector,
  selectMembers,
  selectorMatches,
  SelectorTextSchema,
  tryParseSelector,
  type LabelPair,
  type LabelSelector,
  type SelectorIssue,
  type SelectorParseResult,
} from './selector.js';
export {
  assertPlanId,
  computePlanId,
  computeWhatIf,
  computeWhatIfForProfile,
  isAppliedTo,
  MAX_MESH_MEMBERS,
  membersForPreflight,
  membersWithAction,
  planHasChanges,
  type WhatIfAction,
  type WhatIfInput,
  type WhatIfPlan,
  type WhatIfRow,
  type WhatIfSummary,
} from './whatIf.js';
export * from './preflight/index.js';
export {
  computeTrafficPlan,
  DEFAULT_MEMBER_WEIGHT,
  ENDPOINT_LIMIT_REASON,
  ENDPOINT_OWNER,
  endpointName,
  MAX_ENDPOINT_NAME_LENGTH,
  MAX_ENDPOINTS_PER_PROFILE,
  MEMBER_WEIGHT_LABEL,
  memberWeight,
  ownerPrefix,
  parseEndpointName,
  proportionalWeight,
  servicePublicIp,
  type EndpointAction,
  type EndpointChange,
  type EndpointState,
  type IneligibleBackend,
  type IneligibleReason,
  type NotRoutedBackend,
  type ServiceTraffic,
  type TrafficPlan,
  type TrafficPlanInput,
} from './traffic.js';
export {
  ApplyModes,
  ConvergenceSettingsSchema,
  decide,
  DEFAULT_MESH_POLICY,
  MeshPolicySchema,
  MonitorSettingsSchema,
  parseMeshPolicy,
  ServiceRefSchema,
  TrafficServiceSchema,
  TrafficSettingsSchema,
  type ApplyMode,
  type ConvergenceSettings,
  type DecideOptions,
  type Decision,
  type DecisionKind,
  type MeshPolicy,
  type MeshPolicyInput,
  type MonitorSettings,
  type TrafficService,
  type TrafficSettings,
} from './policy.js';
export { compareText } from './order.js';
