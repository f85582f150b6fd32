/**
 * Parsing of Azure resource bodies into the app's typed models.
 *
 * Schemas are tolerant of fields ARM adds (unknown keys are dropped, never an error) and strict about the fields the
 * app relies on: a missing or mistyped required field is an `InvalidArmResourceError` that names the resource kind,
 * the resource id and the field path.
 */
import type { z } from 'zod';
import { InvalidArmResourceError } from '../errors.js';

export function parseArmResource<S extends z.ZodType>(
  schema: S,
  kind: string,
  raw: unknown,
  idHint?: string,
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const id = resourceIdOf(raw) ?? idHint ?? '(unknown id)';
  const problems = result.error.issues.map((issue) => describeIssue(issue, raw));
  throw new InvalidArmResourceError(id, `${kind} ${id}: ${problems.join('; ')}`, problems);
}

/** Parses a list, reporting the first bad element with its own id. */
export function parseArmResources<S extends z.ZodType>(
  schema: S,
  kind: string,
  raw: readonly unknown[],
): z.output<S>[] {
  return raw.map((item) => parseArmResource(schema, kind, item));
}

function resourceIdOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const id: unknown = Reflect.get(raw, 'id');
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path.map(String).join('.') || '(body)';
  if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined) {
    return `missing required field '${path}'`;
  }
  return `field '${path}': ${issue.message}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}
