/**
 * The role assignments infra/config/rbac.json makes for the app, for a given set of target resources, in the shapes
 * the ARM simulator takes: roles with permissions (custom roles from rbac.json; built-in roles from the simulator's
 * BUILT_IN_ROLES, or from rbac.json's copy when the simulator does not know the role) and assignments (scope, role,
 * condition). The rbac unit test evaluates them with the simulator's `checkAccess`; the least-privilege end-to-end test
 * turns them into a scenario.
 */
import { createHash } from 'node:crypto';
import { rbac as simulatorRbac } from '../../../../local/simulator/index.js';
import type { Assignment, RbacConfig } from './config.js';

export type Switch = Assignment['when'];

/** A permission block, as the simulator's role records hold it. */
export interface Permission {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

export interface DeployedRole {
  /** The role key of rbac.json. */
  readonly key: string;
  /** Role definition GUID: the built-in id, or a GUID derived from the key for a custom role. */
  readonly guid: string;
  readonly roleName: string;
  readonly permissions: readonly Permission[];
  /** True when the simulator has this built-in role itself; false when a scenario must declare it. */
  readonly knownToSimulator: boolean;
}

export interface DeployedGrant {
  /** The assignment name of rbac.json. */
  readonly name: string;
  /** Its scope kind (`fleet`, `virtualNetwork`, ...). */
  readonly kind: string;
  /** The target resource id. */
  readonly scope: string;
  readonly role: DeployedRole;
  /** ABAC condition text, when the assignment has one. */
  readonly condition?: string;
}

/** Target resource ids by scope kind of rbac.json (what the azd parameters list). */
export type Targets = Readonly<Partial<Record<string, readonly string[]>>>;

/**
 * ARM lets a whole-segment `*` match no segment at all: Managed Identity Operator's
 * `userAssignedIdentities/*\/assign/action` is the documented grant for `userAssignedIdentities/assign/action`. The
 * simulator's matcher needs at least one segment there, so each such pattern is given with its zero-segment form too.
 */
function withZeroSegmentForms(actions: readonly string[]): string[] {
  return actions.flatMap((a) => (a.includes('/*/') ? [a, a.split('/*/').join('/')] : [a]));
}

function permission(actions: readonly string[]): Permission {
  return { actions: withZeroSegmentForms(actions), notActions: [], dataActions: [], notDataActions: [] };
}

/** A stable GUID for a custom role key (the template derives its own from the environment; any GUID will do here). */
export function customRoleGuid(key: string): string {
  const h = createHash('sha256').update(`fleetmesh-role/${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Every control-plane role rbac.json can assign, by role key. Data-plane roles (storage, Cosmos) are left out. */
export function deployedRoles(rbac: RbacConfig): Map<string, DeployedRole> {
  const roles = new Map<string, DeployedRole>();
  for (const [key, role] of Object.entries(rbac.customRoles)) {
    roles.set(key, {
      key,
      guid: customRoleGuid(key),
      roleName: role.title,
      permissions: [permission(role.actions)],
      knownToSimulator: false,
    });
  }
  for (const [key, role] of Object.entries(rbac.builtInRoles)) {
    const simulated = simulatorRbac.BUILT_IN_ROLES.find((r) => r.name === role.id.toLowerCase());
    if (simulated) {
      roles.set(key, {
        key,
        guid: simulated.name,
        roleName: simulated.roleName,
        permissions: simulated.permissions.map((p) => ({ ...p, actions: withZeroSegmentForms(p.actions) })),
        knownToSimulator: true,
      });
    } else if (role.actions) {
      roles.set(key, {
        key,
        guid: role.id.toLowerCase(),
        roleName: role.name,
        permissions: [permission(role.actions)],
        knownToSimulator: false,
      });
    }
  }
  return roles;
}

/**
 * The app's grants on the targets, as main.bicep and rbac-targets.bicep make them: one per (assignment, target) for
 * the assignments whose switch is on and whose scope kind has targets.
 */
export function deployedGrants(rbac: RbacConfig, targets: Targets, switches: readonly Switch[]): DeployedGrant[] {
  const roles = deployedRoles(rbac);
  return rbac.assignments
    .filter((a) => a.principal === 'app' && switches.includes(a.when))
    .flatMap((a) =>
      (targets[a.scope] ?? []).map((scope): DeployedGrant => {
        const role = roles.get(a.role);
        if (!role) throw new Error(`${a.name}: role ${a.role} has no control-plane permissions in rbac.json`);
        const condition = a.condition === '' ? undefined : rbac.conditions[a.condition];
        return { name: a.name, kind: a.scope, scope, role, ...(condition === undefined ? {} : { condition }) };
      }),
    );
}

/** The switches that are on in a default deployment (`azd up` with no optional parameter set). */
export const DEFAULT_SWITCHES: readonly Switch[] = ['always', 'networkContributorGrants', 'durableAzureStorage'];
