/**
 * Built-in scenarios: `two-regions` (the documented topology) and `generated:N[?knobs]` (see generate.ts).
 */
import twoRegionsJson from '../scenarios/two-regions.json' with { type: 'json' };
import { generateFleetScenario, parseGeneratedName } from './generate.js';
import { ScenarioError, type ScenarioInput } from './schema.js';

/**
 * The condition that lets fleetmesh assign Network Contributor and nothing else (write and delete), the
 * "constrain roles" delegation pattern.
 */
export function onlyRolesCondition(roleGuids: readonly string[]): string {
  const list = roleGuids.join(', ');
  return (
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR ` +
    `(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}})) AND ` +
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR ` +
    `(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}}))`
  );
}

export { APP_PRINCIPAL, OPERATOR_PRINCIPAL } from './names.js';

/**
 * `two-regions`, read from `local/simulator/scenarios/two-regions.json` (the one source: users copy and edit that
 * file and pass it with `--scenario FILE`; the build copies it to dist). East (eastus) and West (westus) AKS clusters
 * in their own peered VNets (node and pod subnets), both labelled `mesh=demo`; a cluster mesh profile `demo` with that
 * selector, created but never applied; West's cluster identity lacks Network Contributor on its VNet (East has it); a
 * spare, unlabelled member `member-central` whose cluster is correctly configured and peered with both; a Traffic
 * Manager resource group; public IPs with DNS labels for the demo LoadBalancer service `demo/web` in each node resource
 * group; and the fleetmesh app principal with the roles it needs (its Role Based Access Control Administrator
 * assignments carry `onlyRolesCondition([Network Contributor])`, checked by a unit test).
 *
 * A fresh copy each call, so callers may change it. Validated like any scenario when loaded.
 */
export function twoRegionsScenario(): ScenarioInput {
  // JSON imports widen literals (`"User"` to string, tuples to arrays); the scenario schema checks the file.
  const copy: unknown = structuredClone(twoRegionsJson);
  return copy as ScenarioInput;
}

export const BUILT_IN_SCENARIOS = ['two-regions', 'generated:N'] as const;

/** Resolves a built-in scenario name: `two-regions`, or `generated:N` with optional `?knob=value&...`. */
export function builtInScenario(name: string): ScenarioInput {
  if (name === 'two-regions') return twoRegionsScenario();
  if (name.startsWith('generated:')) return generateFleetScenario(parseGeneratedName(name));
  throw new ScenarioError(
    '',
    `unknown built-in scenario '${name}': use ${BUILT_IN_SCENARIOS.join(' or ')}, or a JSON file`,
  );
}
