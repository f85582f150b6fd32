/**
 * `policy <profile>`: without changes, shows the policy; with flags, reads the current policy (`GET /meshes/{p}`) or
 * `--file`, applies the flags and replaces it (`PUT /meshes/{p}/policy`, a full replace).
 *
 * Concurrency: the mesh view carries no policy ETag, so a read-modify-write cannot be conditional on what was read.
 * What the command does instead: when no policy is set yet, the PUT is create-only (`If-None-Match: *`), so a policy
 * someone else set in between is never silently replaced; `--if-match <etag>` (the ETag an earlier `policy` change
 * printed) makes a replace conditional. A lost race is exit 5; run the command again.
 */
import { readFileSync } from 'node:fs';
import nodePath from 'node:path';
import { path } from '../api.js';
import { CliError, ExitCode } from '../exitCodes.js';
import type { PolicyOptions } from '../program.js';
import { policyLine } from '../render/status.js';
import { JsonObjectSchema, MeshViewSchema, PolicyResponseSchema, type JsonObject } from '../schemas.js';
import { print, type CommandContext } from './context.js';

const MEMBER = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;

export async function policyCommand(ctx: CommandContext, profile: string, options: PolicyOptions): Promise<number> {
  const changing =
    options.mode !== undefined ||
    options.allowRemovals !== undefined ||
    options.debounce !== undefined ||
    options.approvalTimeout !== undefined ||
    options.weight.length > 0 ||
    options.clearWeight.length > 0 ||
    options.file !== undefined;
  // Flags are checked before anything is read, so a typo costs no round trip.
  const weights = options.weight.map(parseWeight);
  if (!changing) {
    if (options.ifMatch !== undefined) throw new CliError(ExitCode.Usage, '--if-match only applies to a change');
    const { data: view } = await ctx.client.request('GET', path('meshes', profile), MeshViewSchema);
    const shown = { profile, policy: view.policy, policyIsDefault: view.policyIsDefault };
    print(ctx, shown, () =>
      [
        `Policy of '${profile}'${view.policyIsDefault ? ' (the default: none is set)' : ''}: ${policyLine(view.policy)}`,
        JSON.stringify(view.policy, null, 2),
      ].join('\n'),
    );
    return ExitCode.Ok;
  }

  let base: JsonObject;
  let createOnly = false;
  if (options.file !== undefined) base = readPolicyFile(options.file, ctx.io.cwd);
  else {
    const { data: view } = await ctx.client.request('GET', path('meshes', profile), MeshViewSchema);
    base = view.policy;
    createOnly = view.policyIsDefault;
  }
  const policy = applyFlags(base, options, weights);
  const headers: Record<string, string> =
    options.ifMatch !== undefined ? { 'if-match': options.ifMatch } : createOnly ? { 'if-none-match': '*' } : {};
  let response;
  try {
    response = await ctx.client.request('PUT', path('meshes', profile, 'policy'), PolicyResponseSchema, {
      body: policy,
      headers,
    });
  } catch (e) {
    if (e instanceof CliError && e.apiCode === 'PreconditionFailed') {
      throw new CliError(
        ExitCode.Conflict,
        `the policy of '${profile}' changed meanwhile (${e.message}); read it again (fleetmesh policy ${profile}) and retry`,
        { apiCode: e.apiCode },
      );
    }
    throw e;
  }
  const etag = response.headers.get('etag');
  const { data } = response;
  print(ctx, { ...data, etag }, () =>
    [
      `Policy of '${profile}' set by ${data.updatedBy} at ${data.updatedAt}: ${policyLine(data.policy)}`,
      ...(etag ? [`ETag ${etag} (pass it to --if-match to make the next change conditional)`] : []),
    ].join('\n'),
  );
  return ExitCode.Ok;
}

/** The policy with the flags applied (a new object; `base` is not changed). */
export function applyFlags(base: JsonObject, options: PolicyOptions, weights: readonly [string, number][]): JsonObject {
  const policy: JsonObject = structuredClone(base);
  if (options.mode !== undefined) policy.mode = options.mode;
  if (options.allowRemovals !== undefined) policy.allowRemovals = options.allowRemovals;
  if (options.debounce !== undefined) policy.debounceSeconds = options.debounce;
  if (options.approvalTimeout !== undefined) policy.approvalTimeoutHours = options.approvalTimeout;
  if (weights.length > 0 || options.clearWeight.length > 0) {
    const traffic = JsonObjectSchema.safeParse(policy.traffic);
    if (!traffic.success) {
      throw new CliError(
        ExitCode.Usage,
        'the policy has no traffic section, so member weights do not apply; add one with --file (see docs/api.md)',
      );
    }
    const current = JsonObjectSchema.safeParse(traffic.data.memberWeights);
    const cleared = new Set(options.clearWeight);
    const memberWeights: JsonObject = Object.fromEntries(
      Object.entries(current.success ? current.data : {}).filter(([member]) => !cleared.has(member)),
    );
    for (const [member, weight] of weights) memberWeights[member] = weight;
    policy.traffic = { ...traffic.data, memberWeights };
  }
  return policy;
}

/** `member=weight` with weight 0-1000. */
export function parseWeight(text: string): [string, number] {
  const match = /^([^=]+)=(\d{1,4})$/.exec(text.trim());
  const member = match?.[1];
  const weight = match?.[2] === undefined ? Number.NaN : Number(match[2]);
  if (member === undefined || !MEMBER.test(member) || !(weight >= 0 && weight <= 1000)) {
    throw new CliError(
      ExitCode.Usage,
      `--weight '${text}': expected <member>=<weight> with a fleet member name and a weight from 0 to 1000`,
    );
  }
  return [member, weight];
}

function readPolicyFile(file: string, cwd: string): JsonObject {
  const full = nodePath.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    throw new CliError(ExitCode.Usage, `--file: cannot read ${full}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(ExitCode.Usage, `--file: ${full} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = JsonObjectSchema.safeParse(json);
  if (!parsed.success || Array.isArray(json)) {
    throw new CliError(ExitCode.Usage, `--file: ${full} must hold a JSON object (the policy; see docs/api.md)`);
  }
  return parsed.data;
}
