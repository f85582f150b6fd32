/**
 * The ARM-compatible HTTPS simulator (docs/simulator.md). Public surface for tests, the sandbox and the benchmark.
 */
export { startSimulator } from './simulator.js';
export type { HealthTarget, PrincipalInfo, RunningSimulator, SimulatorControl, SimulatorOptions } from './simulator.js';
export type { CallLogEntry, OperationCounters } from './calllog.js';
export type { DeliveryRecord, EventGridEvent, EventSubscription, EventSubscriptionInput } from './events.js';
export type { FaultConfig, FaultRule, Latency } from './faults.js';
export type { Settings, SettingsInput, Timing } from './settings.js';
export type { ThrottlingSettings } from './throttle.js';
export { DEFAULT_SETTINGS } from './settings.js';
export { parseScenario, ScenarioError, ScenarioSchema, type Scenario, type ScenarioInput } from './scenario/schema.js';
export { builtInScenario, onlyRolesCondition, twoRegionsScenario, BUILT_IN_SCENARIOS } from './scenario/builtins.js';
export { APP_PRINCIPAL, OPERATOR_PRINCIPAL } from './scenario/names.js';
export {
  generateFleetScenario,
  MISCONFIGURATIONS,
  parseGeneratedName,
  type GenerateOptions,
  type Misconfiguration,
} from './scenario/generate.js';
export * as rbac from './rbac/index.js';
export { FLEET_API_VERSIONS } from './providers/fleetRender.js';
export { MANAGED_CLUSTER_API_VERSIONS } from './providers/clusters.js';
export { NETWORK_API_VERSIONS } from './providers/network.js';
export { AUTHORIZATION_API_VERSIONS } from './providers/authorization.js';
export { TRAFFIC_MANAGER_API_VERSIONS } from './providers/traffic.js';
