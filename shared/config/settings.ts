/**
 * Application settings: parsed once at start-up from the environment into a frozen, typed object. A missing or
 * malformed setting is a ConfigurationError naming the setting. The same names are set by `infra/` (Azure) and by the
 * sandbox (`npm start`); `SETTINGS` is the single list both sides are checked against.
 */
import { z } from 'zod';
import { ConfigurationError } from '../errors.js';

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');
const armName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$');
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' });

/**
 * Every setting the code reads, with its description. `required: true` settings have no default.
 * Keep in sync with `loadSettings` below (a unit test checks that they agree).
 */
export const SETTINGS = {
  FLEETMESH_SUBSCRIPTION_ID: { required: true, description: 'Subscription of the fleet.' },
  FLEETMESH_FLEET_RESOURCE_GROUP: { required: true, description: 'Resource group of the fleet.' },
  FLEETMESH_FLEET_NAME: { required: true, description: 'The fleet this deployment manages (one per deployment).' },
  FLEETMESH_ARM_ENDPOINT: { required: false, description: 'ARM endpoint; the simulator URL locally.' },
  FLEETMESH_ARM_AUTH: {
    required: false,
    description:
      '`managedIdentity` (DefaultAzureCredential; AZURE_CLIENT_ID selects the user-assigned identity) or `static` (simulator only).',
  },
  FLEETMESH_ARM_STATIC_TOKEN: {
    required: false,
    description: 'Bearer token sent to the simulator when FLEETMESH_ARM_AUTH=static.',
  },
  FLEETMESH_ARM_CA_FILE: {
    required: false,
    description:
      'PEM certificate trusted for the ARM endpoint only (the simulator certificate). Never disables TLS checks.',
  },
  FLEETMESH_FLEET_API_VERSION: {
    required: false,
    description: 'api-version for fleet members and cluster mesh profiles.',
  },
  FLEETMESH_ARM_MAX_CONCURRENT_WRITES: {
    required: false,
    description:
      'Upper bound on parallel ARM writes from one instance (endpoint PUTs, role grants), to stay inside the token bucket.',
  },
  FLEETMESH_COSMOS_ENDPOINT: { required: true, description: 'Cosmos DB account endpoint.' },
  FLEETMESH_COSMOS_DATABASE: { required: false, description: 'Cosmos DB database name.' },
  FLEETMESH_COSMOS_AUTH: {
    required: false,
    description: '`entra` (DefaultAzureCredential; Azure) or `key` (embedded Cosmos server only).',
  },
  FLEETMESH_COSMOS_KEY: {
    required: false,
    description: 'Account key for the embedded Cosmos server when FLEETMESH_COSMOS_AUTH=key.',
  },
  FLEETMESH_COSMOS_CA_FILE: { required: false, description: 'PEM certificate trusted for the Cosmos endpoint only.' },
  FLEETMESH_TASK_HUB: {
    required: true,
    description: 'Durable Functions task hub name (host.json %FLEETMESH_TASK_HUB%).',
  },
  FLEETMESH_RESYNC_SCHEDULE: { required: false, description: 'NCRONTAB (six fields) of the drift resync timer.' },
  FLEETMESH_RESYNC_ON_STARTUP: {
    required: false,
    description:
      'Also resync when the app starts (`true` in the sandbox; default `false`, as Azure advises for timers).',
  },
  FLEETMESH_OUTCOME_TOPIC_ENDPOINT: {
    required: false,
    description: 'Event Grid topic endpoint for outcome CloudEvents; unset = no outcome events.',
  },
  FLEETMESH_EVENT_DEDUP_TTL_SECONDS: { required: false, description: 'How long processed event ids are remembered.' },
  FLEETMESH_PROFILE_LIST_CACHE_SECONDS: {
    required: false,
    description:
      "How long fleetEvents reuses the fleet's mesh profile list read from ARM (default 60; 0 reads it for every event).",
  },
  FLEETMESH_LOG_LEVEL: { required: false, description: 'Lowest level logged: debug, info (default), warn or error.' },
} as const;

export type SettingName = keyof typeof SETTINGS;

const Schema = z.object({
  FLEETMESH_SUBSCRIPTION_ID: guid,
  FLEETMESH_FLEET_RESOURCE_GROUP: z.string().min(1).max(90),
  FLEETMESH_FLEET_NAME: armName,
  FLEETMESH_ARM_ENDPOINT: httpsUrl.default('https://management.azure.com'),
  FLEETMESH_ARM_AUTH: z.enum(['managedIdentity', 'static']).default('managedIdentity'),
  FLEETMESH_ARM_STATIC_TOKEN: z.string().min(1).optional(),
  FLEETMESH_ARM_CA_FILE: z.string().min(1).optional(),
  FLEETMESH_FLEET_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'must be an api-version such as 2026-03-02-preview')
    .default('2026-03-02-preview'),
  FLEETMESH_ARM_MAX_CONCURRENT_WRITES: z.coerce.number().int().min(1).max(100).default(8),
  FLEETMESH_COSMOS_ENDPOINT: httpsUrl,
  FLEETMESH_COSMOS_DATABASE: z.string().min(1).default('fleetmesh'),
  FLEETMESH_COSMOS_AUTH: z.enum(['entra', 'key']).default('entra'),
  FLEETMESH_COSMOS_KEY: z.string().min(1).optional(),
  FLEETMESH_COSMOS_CA_FILE: z.string().min(1).optional(),
  FLEETMESH_TASK_HUB: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,49}$/, 'must be 3-50 letters or digits, starting with a letter'),
  FLEETMESH_RESYNC_SCHEDULE: z.string().min(1).default('0 */10 * * * *'),
  FLEETMESH_RESYNC_ON_STARTUP: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  FLEETMESH_OUTCOME_TOPIC_ENDPOINT: httpsUrl.optional(),
  FLEETMESH_EVENT_DEDUP_TTL_SECONDS: z.coerce.number().int().min(60).max(604800).default(86400),
  FLEETMESH_PROFILE_LIST_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  FLEETMESH_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export interface Settings {
  readonly subscriptionId: string;
  readonly fleetResourceGroup: string;
  readonly fleetName: string;
  readonly arm: {
    readonly endpoint: string;
    readonly auth: { readonly kind: 'managedIdentity' } | { readonly kind: 'static'; readonly token: string };
    readonly caFile: string | undefined;
    readonly fleetApiVersion: string;
    readonly maxConcurrentWrites: number;
  };
  readonly cosmos: {
    readonly endpoint: string;
    readonly database: string;
    readonly auth: { readonly kind: 'entra' } | { readonly kind: 'key'; readonly key: string };
    readonly caFile: string | undefined;
  };
  readonly taskHub: string;
  readonly resyncSchedule: string;
  readonly resyncOnStartup: boolean;
  readonly outcomeTopicEndpoint: string | undefined;
  readonly eventDedupTtlSeconds: number;
  readonly profileListCacheSeconds: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Parses the settings; throws ConfigurationError naming the first bad setting. */
export function loadSettings(env: Readonly<Record<string, string | undefined>> = process.env): Settings {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(SETTINGS)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') picked[name] = value.trim();
  }
  const parsed = Schema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = String(issue?.path[0] ?? 'settings');
    const missing = picked[setting] === undefined;
    throw new ConfigurationError(setting, missing ? 'is required but not set' : (issue?.message ?? 'is invalid'));
  }
  const s = parsed.data;
  if (s.FLEETMESH_ARM_AUTH === 'static' && !s.FLEETMESH_ARM_STATIC_TOKEN) {
    throw new ConfigurationError('FLEETMESH_ARM_STATIC_TOKEN', 'is required when FLEETMESH_ARM_AUTH=static');
  }
  if (s.FLEETMESH_COSMOS_AUTH === 'key' && !s.FLEETMESH_COSMOS_KEY) {
    throw new ConfigurationError('FLEETMESH_COSMOS_KEY', 'is required when FLEETMESH_COSMOS_AUTH=key');
  }
  const settings: Settings = {
    subscriptionId: s.FLEETMESH_SUBSCRIPTION_ID.toLowerCase(),
    fleetResourceGroup: s.FLEETMESH_FLEET_RESOURCE_GROUP,
    fleetName: s.FLEETMESH_FLEET_NAME,
    arm: {
      endpoint: s.FLEETMESH_ARM_ENDPOINT.replace(/\/+$/, ''),
      auth:
        s.FLEETMESH_ARM_AUTH === 'static'
          ? { kind: 'static', token: s.FLEETMESH_ARM_STATIC_TOKEN ?? '' }
          : { kind: 'managedIdentity' },
      caFile: s.FLEETMESH_ARM_CA_FILE,
      fleetApiVersion: s.FLEETMESH_FLEET_API_VERSION,
      maxConcurrentWrites: s.FLEETMESH_ARM_MAX_CONCURRENT_WRITES,
    },
    cosmos: {
      endpoint: s.FLEETMESH_COSMOS_ENDPOINT,
      database: s.FLEETMESH_COSMOS_DATABASE,
      auth: s.FLEETMESH_COSMOS_AUTH === 'key' ? { kind: 'key', key: s.FLEETMESH_COSMOS_KEY ?? '' } : { kind: 'entra' },
      caFile: s.FLEETMESH_COSMOS_CA_FILE,
    },
    taskHub: s.FLEETMESH_TASK_HUB,
    resyncSchedule: s.FLEETMESH_RESYNC_SCHEDULE,
    resyncOnStartup: s.FLEETMESH_RESYNC_ON_STARTUP === 'true',
    outcomeTopicEndpoint: s.FLEETMESH_OUTCOME_TOPIC_ENDPOINT,
    eventDedupTtlSeconds: s.FLEETMESH_EVENT_DEDUP_TTL_SECONDS,
    profileListCacheSeconds: s.FLEETMESH_PROFILE_LIST_CACHE_SECONDS,
    logLevel: s.FLEETMESH_LOG_LEVEL,
  };
  return deepFreeze(settings);
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value) as unknown[]) {
    if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v);
  }
  return Object.freeze(value);
}
