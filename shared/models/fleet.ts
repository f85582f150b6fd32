/**
 * Fleet members and cluster mesh profiles, in their REST wire shape (fields under `properties`), as returned by the
 * preview api-versions `2026-03-02-preview` / `2026-06-02-preview` (reference §1, §2). These two are read through
 * `@azure-rest/core-client`, so the app sees the raw JSON.
 */
import { z } from 'zod';
import { ArmErrorDetailSchema, stringMap } from './common.js';

/** `MeshMemberState`: closed enum in the compiled 2026-06-02-preview spec. */
export const MeshMemberStates = ['Connecting', 'Connected', 'Disconnecting', 'Failed'] as const;
export const MeshMemberStateSchema = z.enum(MeshMemberStates);
export type MeshMemberState = z.output<typeof MeshMemberStateSchema>;

/** `ClusterMeshState` of a profile's `properties.status.state`. */
export const ClusterMeshStates = ['NotConnected', 'Applying', 'Connected', 'Degraded', 'Failed'] as const;
export const ClusterMeshStateSchema = z.enum(ClusterMeshStates);
export type ClusterMeshState = z.output<typeof ClusterMeshStateSchema>;

/** Fleet member `provisioningState` (extensible union; known values listed). */
export const KnownMemberProvisioningStates = [
  'Succeeded',
  'Failed',
  'Canceled',
  'Joining',
  'Leaving',
  'Updating',
] as const;
/** Profile `provisioningState`: ARM ResourceProvisioningState (extensible). */
export const KnownProfileProvisioningStates = ['Succeeded', 'Failed', 'Canceled'] as const;

export const MemberSelectorSchema = z.object({ byLabel: z.string().max(512) });
export type MemberSelector = z.output<typeof MemberSelectorSchema>;

export const MeshPropertiesSchema = z.object({
  ciliumProperties: z.object({ id: z.int().min(1).max(255), name: z.string() }),
  clusterMeshProfileResourceId: z.string(),
  status: z.object({
    state: MeshMemberStateSchema,
    lastUpdatedAt: z.string().optional(),
    lastOperationId: z.string().optional(),
    error: ArmErrorDetailSchema.optional(),
  }),
});
export type MeshProperties = z.output<typeof MeshPropertiesSchema>;

export const FleetMemberSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string().optional(),
  eTag: z.string().optional(),
  properties: z.object({
    clusterResourceId: z.string(),
    group: z.string().optional(),
    labels: stringMap,
    provisioningState: z.string().optional(),
    status: z
      .object({ lastOperationId: z.string().optional(), lastOperationError: ArmErrorDetailSchema.optional() })
      .optional(),
    /** Absent (or null) when the member is in no mesh. */
    meshProperties: MeshPropertiesSchema.nullish()
      .transform((v) => v ?? undefined)
      .optional(),
  }),
});
export type FleetMember = z.output<typeof FleetMemberSchema>;

export const ClusterMeshProfileSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string().optional(),
  eTag: z.string().optional(),
  properties: z.object({
    provisioningState: z.string().optional(),
    /** An empty or missing selector selects no members. */
    memberSelector: MemberSelectorSchema.nullish()
      .transform((v) => v ?? undefined)
      .optional(),
    status: z
      .object({
        state: ClusterMeshStateSchema,
        lastAppliedMemberSelector: MemberSelectorSchema.nullish()
          .transform((v) => v ?? undefined)
          .optional(),
        lastOperationId: z.string().optional(),
        lastOperationError: ArmErrorDetailSchema.optional(),
      })
      .optional(),
  }),
});
export type ClusterMeshProfile = z.output<typeof ClusterMeshProfileSchema>;
