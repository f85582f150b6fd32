/**
 * The JSON files under infra/config/ that the Bicep template loads with loadJsonContent(), read here with the same
 * paths and validated with zod, so the tests reason about exactly the data that is deployed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const repoRoot = path.resolve(import.meta.dirname, '../../../..');
export const infraDir = path.join(repoRoot, 'infra');
export const configDir = path.join(infraDir, 'config');

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');

export const AppSettingsConfig = z.object({
  application: z.array(z.string().min(1)),
  runtime: z.array(z.string().min(1)),
  durableTaskScheduler: z.array(z.string().min(1)),
  notSetInAzure: z.record(z.string(), z.string().min(1)),
  neverSet: z.record(z.string(), z.string().min(1)),
});
export type AppSettingsConfig = z.infer<typeof AppSettingsConfig>;

const BuiltInRole = z.object({ name: z.string().min(1), id: guid, actions: z.array(z.string()).optional() });
const CustomRole = z.object({
  title: z.string().min(1),
  description: z.string().min(1),
  actions: z.array(z.string().min(1)).min(1),
});
export const Assignment = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  principal: z.enum(['app', 'fleetEventsTopic']),
  scope: z.string().min(1),
  role: z.string().min(1),
  when: z.enum([
    'always',
    'networkContributorGrants',
    'locationOperationsRead',
    'durableAzureStorage',
    'durableTaskScheduler',
    'outcomeTopic',
  ]),
  condition: z.string(),
  reason: z.string().min(20),
});
export type Assignment = z.infer<typeof Assignment>;

export const RbacConfig = z.object({
  builtInRoles: z.record(z.string(), BuiltInRole),
  grantedByTheApp: z.record(z.string(), BuiltInRole),
  forbiddenRoles: z.record(z.string(), BuiltInRole),
  cosmosDataPlaneRoles: z.record(z.string(), BuiltInRole),
  customRoles: z.record(z.string(), CustomRole),
  conditions: z.record(z.string(), z.string().min(1)),
  scopeKinds: z.record(z.string(), z.string().min(1)),
  assignments: z.array(Assignment).min(1),
});
export type RbacConfig = z.infer<typeof RbacConfig>;

export const FleetEventsConfig = z.object({
  functionName: z.string().min(1),
  systemTopicType: z.string().min(1),
  eventDeliverySchema: z.enum(['EventGridSchema', 'CloudEventSchemaV1_0']),
  includedEventTypes: z.array(z.string().min(1)).min(1),
  subjectFilter: z.object({
    operatorType: z.literal('StringBeginsWith'),
    key: z.string().min(1),
    prefixes: z.array(z.string().min(1)).min(1),
  }),
  retryPolicy: z.object({
    maxDeliveryAttempts: z.number().int(),
    eventTimeToLiveInMinutes: z.number().int(),
  }),
  delivery: z.object({ maxEventsPerBatch: z.number().int(), preferredBatchSizeInKilobytes: z.number().int() }),
  deadLetterContainerName: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name'),
});
export type FleetEventsConfig = z.infer<typeof FleetEventsConfig>;

export const AuthConfig = z.object({
  appRoles: z
    .array(
      z.object({
        id: guid,
        value: z.string().min(1),
        displayName: z.string().min(1),
        description: z.string().min(1),
        allowedMemberTypes: z.array(z.enum(['User', 'Application'])).min(1),
        isEnabled: z.boolean(),
      }),
    )
    .min(1),
  api: z.object({
    requestedAccessTokenVersion: z.literal(2),
    oauth2PermissionScopes: z
      .array(
        z.object({
          id: guid,
          value: z.string().min(1),
          type: z.enum(['User', 'Admin']),
          isEnabled: z.boolean(),
          adminConsentDisplayName: z.string().min(1),
          adminConsentDescription: z.string().min(1),
          userConsentDisplayName: z.string().min(1),
          userConsentDescription: z.string().min(1),
        }),
      )
      .min(1),
    preAuthorizedApplications: z.array(z.object({ appId: guid, delegatedPermissionIds: z.array(guid).min(1) })),
  }),
  identifierUri: z.string().includes('{clientId}'),
  login: z.object({
    callbackPath: z.string().startsWith('/.auth/login/'),
    enableIdTokenIssuance: z.boolean(),
  }),
  excludedPaths: z.array(z.string().startsWith('/')),
  unauthenticatedClientAction: z.enum(['Return401', 'Return403', 'RedirectToLoginPage', 'AllowAnonymous']),
});
export type AuthConfig = z.infer<typeof AuthConfig>;

export const CosmosConfig = z.object({
  database: z.string().min(1),
  containers: z
    .array(
      z.object({
        name: z.string().min(1),
        partitionKey: z.string().startsWith('/'),
        ttl: z.enum(['off', 'eventDedup']),
      }),
    )
    .min(1),
});
export type CosmosConfig = z.infer<typeof CosmosConfig>;

/** Reads a JSON file of the repository (path relative to the root) and parses it with the schema. */
export function readJson<T>(relativePath: string, schema: z.ZodType<T>): T {
  const text = readFileSync(path.join(repoRoot, relativePath), 'utf8');
  return schema.parse(JSON.parse(text));
}

export const loadAppSettingsConfig = (): AppSettingsConfig =>
  readJson('infra/config/app-settings.json', AppSettingsConfig);
export const loadRbacConfig = (): RbacConfig => readJson('infra/config/rbac.json', RbacConfig);
export const loadFleetEventsConfig = (): FleetEventsConfig =>
  readJson('infra/config/fleet-events.json', FleetEventsConfig);
export const loadAuthConfig = (): AuthConfig => readJson('infra/config/auth.json', AuthConfig);
export const loadCosmosConfig = (): CosmosConfig => readJson('infra/config/cosmos.json', CosmosConfig);
