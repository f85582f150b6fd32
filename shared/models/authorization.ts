/**
 * Role assignments and role definitions, in the shape `@azure/arm-authorization` (api-version 2022-04-01) returns.
 * Reference §6.
 */
import { z } from 'zod';

export const PrincipalTypes = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;

export const RoleAssignmentSchema = z.object({
  id: z.string(),
  /** A GUID. */
  name: z.string(),
  type: z.string().optional(),
  scope: z.string().optional(),
  roleDefinitionId: z.string(),
  principalId: z.string(),
  principalType: z.string().optional(),
  /** ARM returns null when the assignment has no condition. */
  condition: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined)
    .optional(),
  conditionVersion: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined)
    .optional(),
});
export type RoleAssignment = z.output<typeof RoleAssignmentSchema>;

export const PermissionSchema = z.object({
  actions: z.array(z.string()).optional(),
  notActions: z.array(z.string()).optional(),
  dataActions: z.array(z.string()).optional(),
  notDataActions: z.array(z.string()).optional(),
});
export type Permission = z.output<typeof PermissionSchema>;

export const RoleDefinitionSchema = z.object({
  id: z.string(),
  name: z.string(),
  roleName: z.string().optional(),
  /** `BuiltInRole | CustomRole` */
  roleType: z.string().optional(),
  permissions: z.array(PermissionSchema).optional(),
  assignableScopes: z.array(z.string()).optional(),
});
export type RoleDefinition = z.output<typeof RoleDefinitionSchema>;
