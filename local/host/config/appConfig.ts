/**
 * The app directory's configuration: `host.json` (route prefix, task hub, durable concurrency limits) and
 * `local.settings.json` (`Values`: the app settings, which the host exposes as environment variables).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { resolveSettingReferences } from '../triggers/schedule.js';

export class AppConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppConfigError';
  }
}

const positiveInt = z.number().int().positive();

const hostJsonSchema = z.looseObject({
  version: z.string().optional(),
  extensions: z
    .looseObject({
      http: z.looseObject({ routePrefix: z.string().optional() }).optional(),
      durableTask: z
        .looseObject({
          hubName: z.string().optional(),
          maxConcurrentActivityFunctions: positiveInt.optional(),
          maxConcurrentOrchestratorFunctions: positiveInt.optional(),
        })
        .optional(),
    })
    .optional(),
});

export interface HostJsonConfig {
  routePrefix: string;
  hubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
}

export const DEFAULT_HUB_NAME = 'TestHubName';

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err: unknown) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (err: unknown) {
    throw new AppConfigError(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export async function readHostJson(
  appDir: string,
  settings: Readonly<Record<string, string | undefined>>,
): Promise<HostJsonConfig> {
  const file = path.join(appDir, 'host.json');
  const raw = await readJson(file);
  if (raw === undefined) throw new AppConfigError(`${file} not found: a Functions app directory has a host.json`);
  const parsed = hostJsonSchema.safeParse(raw);
  if (!parsed.success) throw new AppConfigError(`${file}: ${issues(parsed.error)}`);
  const http = parsed.data.extensions?.http;
  const durable = parsed.data.extensions?.durableTask;
  const routePrefix = (http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  const hubName = resolveSettingReferences(
    durable?.hubName ?? DEFAULT_HUB_NAME,
    settings,
    `${file} extensions.durableTask.hubName`,
  );
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hubName)) {
    throw new AppConfigError(
      `${file} extensions.durableTask.hubName "${hubName}": a task hub name is 3-45 letters or digits and starts with a letter`,
    );
  }
  return {
    routePrefix,
    hubName,
    maxConcurrentActivityFunctions: durable?.maxConcurrentActivityFunctions ?? 10,
    maxConcurrentOrchestratorFunctions: durable?.maxConcurrentOrchestratorFunctions ?? 5,
  };
}

const localSettingsSchema = z.looseObject({
  IsEncrypted: z.boolean().optional(),
  Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** The `Values` of local.settings.json, or undefined when the file does not exist. */
export async function readLocalSettings(appDir: string): Promise<Record<string, string> | undefined> {
  const file = path.join(appDir, 'local.settings.json');
  const raw = await readJson(file);
  if (raw === undefined) return undefined;
  const parsed = localSettingsSchema.safeParse(raw);
  if (!parsed.success) throw new AppConfigError(`${file}: ${issues(parsed.error)}`);
  if (parsed.data.IsEncrypted === true) {
    throw new AppConfigError(`${file} is encrypted (IsEncrypted: true); the local host reads plain values only`);
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.data.Values ?? {})) values[key] = String(value);
  return values;
}
