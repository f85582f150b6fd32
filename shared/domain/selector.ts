/**
 * The cluster mesh profile's member selector: `memberSelector.byLabel`, a comma-separated list of `key=value` pairs
 * (reference §1.2). Only `=` is accepted, a key may appear once, the whole text is at most 512 characters, and keys and
 * values follow Kubernetes label syntax:
 *
 * - key: `[prefix/]name`; name 1–63 characters `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`; optional prefix a DNS
 *   subdomain (lower case, dot-separated DNS labels, at most 253 characters);
 * - value: empty, or 1–63 characters with the same syntax as a name.
 *
 * Whitespace is not trimmed: `env=prod, region=east` is rejected with the pair that has the space, because how the
 * service itself treats whitespace is not documented and a plan must match what the service will do.
 *
 * The parsed form keeps the pairs sorted by key; `printSelector` writes that canonical text, so
 * `parseSelector(printSelector(s))` equals `s` and printing a canonical text gives it back unchanged. An empty or
 * missing selector parses to no pairs and matches no member.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { FleetMember } from '../models/index.js';

export const MAX_SELECTOR_LENGTH = 512;
const MAX_NAME_LENGTH = 63;
const MAX_PREFIX_LENGTH = 253;

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface LabelPair {
  readonly key: string;
  readonly value: string;
}

/** A parsed selector: unique keys, sorted by key (code-unit order). No pairs = matches nothing. */
export interface LabelSelector {
  readonly pairs: readonly LabelPair[];
}

export interface SelectorIssue {
  /** The offending pair as written; absent for a problem with the whole text (its length). */
  readonly pair?: string;
  /** 1-based position of the pair in the text. */
  readonly position?: number;
  readonly reason: string;
}

export type SelectorParseResult =
  | { readonly ok: true; readonly selector: LabelSelector }
  | { readonly ok: false; readonly issues: readonly SelectorIssue[]; readonly message: string };

export const EMPTY_SELECTOR: LabelSelector = { pairs: [] };

/** Parses without throwing: either the selector or every problem found, each naming its pair. */
export function tryParseSelector(text: string | null | undefined): SelectorParseResult {
  if (text === null || text === undefined || text === '') return { ok: true, selector: EMPTY_SELECTOR };
  const issues: SelectorIssue[] = [];
  if (text.length > MAX_SELECTOR_LENGTH) {
    issues.push({
      reason: `the selector is ${text.length} characters long; at most ${MAX_SELECTOR_LENGTH} are allowed`,
    });
  }
  const pairs: LabelPair[] = [];
  const firstPositionOfKey = new Map<string, number>();
  text.split(',').forEach((raw, index) => {
    const position = index + 1;
    const parsed = parsePair(raw);
    if (typeof parsed === 'string') {
      issues.push({ pair: raw, position, reason: parsed });
      return;
    }
    const earlier = firstPositionOfKey.get(parsed.key);
    if (earlier !== undefined) {
      issues.push({ pair: raw, position, reason: `key '${parsed.key}' is repeated (first in pair ${earlier})` });
      return;
    }
    firstPositionOfKey.set(parsed.key, position);
    pairs.push(parsed);
  });
  if (issues.length > 0) return { ok: false, issues, message: describeIssues(issues) };
  return { ok: true, selector: { pairs: sortPairs(pairs) } };
}

/** Parses or throws a ValidationError whose message names every offending pair (`details` holds the issues). */
export function parseSelector(text: string | null | undefined): LabelSelector {
  const result = tryParseSelector(text);
  if (!result.ok) throw new ValidationError(result.message, { details: result.issues });
  return result.selector;
}

/** The canonical text: pairs sorted by key, joined with commas; `''` for the empty selector. */
export function printSelector(selector: LabelSelector): string {
  return sortPairs(selector.pairs)
    .map((p) => `${p.key}=${p.value}`)
    .join(',');
}

/** Parse and print: the canonical text of a valid selector (throws ValidationError otherwise). */
export function canonicalSelector(text: string | null | undefined): string {
  return printSelector(parseSelector(text));
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return selector.pairs.length === 0;
}

/** Every pair equals the label of the same key. The empty selector matches nothing. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (isEmptySelector(selector)) return false;
  return selector.pairs.every((p) => Object.hasOwn(labels, p.key) && labels[p.key] === p.value);
}

export function memberMatches(selector: LabelSelector, member: FleetMember): boolean {
  return selectorMatches(selector, member.properties.labels);
}

/** The members the selector picks, in input order. */
export function selectMembers<M extends FleetMember>(selector: LabelSelector, members: readonly M[]): M[] {
  return members.filter((m) => memberMatches(selector, m));
}

/** Why `key` is not a Kubernetes label key, or undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  if (key === '') return 'the key is empty';
  const slash = key.indexOf('/');
  if (slash !== key.lastIndexOf('/')) return `key '${key}' has more than one '/'`;
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1) {
    const prefix = key.slice(0, slash);
    if (prefix.length > MAX_PREFIX_LENGTH) {
      return `key prefix '${prefix}' is longer than ${MAX_PREFIX_LENGTH} characters`;
    }
    if (!DNS_SUBDOMAIN.test(prefix)) {
      return `key prefix '${prefix}' is not a DNS subdomain (lower-case letters, digits, '-' and '.')`;
    }
  }
  if (name === '') return `key '${key}' has an empty name`;
  if (name.length > MAX_NAME_LENGTH) return `key name '${name}' is longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME.test(name)) {
    return `key name '${name}' must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why `value` is not a Kubernetes label value, or undefined when it is one (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > MAX_NAME_LENGTH) return `value '${value}' is longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME.test(value)) {
    return `value '${value}' must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** A zod string that is a valid selector (issues name the pairs), transformed to its canonical text. */
export const SelectorTextSchema = z.string().transform((text, ctx) => {
  const result = tryParseSelector(text);
  if (result.ok) return printSelector(result.selector);
  for (const issue of result.issues) ctx.addIssue({ code: 'custom', message: describeIssue(issue) });
  return z.NEVER;
});

function parsePair(raw: string): LabelPair | string {
  if (raw === '') return 'the pair is empty';
  if (/\s/.test(raw)) return 'whitespace is not allowed';
  if (/!=|==|!/.test(raw) || /^[^=]*$/.test(raw)) {
    return raw.includes('=') || raw.includes('!') ? "only the '=' operator is supported" : "the pair has no '='";
  }
  const eq = raw.indexOf('=');
  const key = raw.slice(0, eq);
  const value = raw.slice(eq + 1);
  if (value.includes('=')) return "the pair has more than one '='";
  return labelKeyProblem(key) ?? labelValueProblem(value) ?? { key, value };
}

function sortPairs(pairs: readonly LabelPair[]): LabelPair[] {
  return [...pairs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function describeIssue(issue: SelectorIssue): string {
  return issue.pair === undefined ? issue.reason : `pair ${issue.position ?? '?'} '${issue.pair}': ${issue.reason}`;
}

function describeIssues(issues: readonly SelectorIssue[]): string {
  return `invalid member selector: ${issues.map(describeIssue).join('; ')}`;
}
