/**
 * What provider handlers get from the simulator: state, clock, settings, operations, events and access checks.
 */
import type { SimClock } from './clock.js';
import type { ArmEventKind, EventHub } from './events.js';
import type { ArmRequest } from './http/request.js';
import type { OperationStore } from './operations.js';
import type { SeededRandom } from './random.js';
import type { AccessDecision, AccessRequest } from './rbac/access.js';
import type { Settings } from './settings.js';
import type { World } from './world.js';

export interface SimContext {
  readonly world: World;
  readonly clock: SimClock;
  readonly settings: Settings;
  readonly random: SeededRandom;
  readonly operations: OperationStore;
  readonly events: EventHub;
  /** Role check against the world's assignments (used for enforcement, evidence and the mesh's identity check). */
  checkAccess(request: AccessRequest): AccessDecision;
  /**
   * Emits the ARM event for a write `request` made (now, or when its operation completes).
   * `existed` tells whether the resource existed before (Event Grid includes httpRequest only then, or on delete).
   */
  emitFor(
    request: ArmRequest,
    event: { kind: ArmEventKind; resourceUri: string; operationName: string; succeeded?: boolean; existed: boolean },
  ): void;
  /** Lets the mesh engine react when a cluster reconcile completes, etc. */
  readonly hooks: {
    onClusterReconciled(clusterKey: string): void;
  };
}
