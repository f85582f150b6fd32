/**
 * IPv4/IPv6 prefixes as closed integer intervals, for containment and overlap tests.
 *
 * Address parsing is delegated to `ipaddr.js` (strict four-part decimal for IPv4, every RFC 4291 text form for IPv6);
 * this module only turns a parsed address and prefix length into an interval. IPv4 and IPv6 never overlap or contain
 * each other (an IPv4-mapped IPv6 prefix is IPv6). A bare address is a /32 or /128. Host bits set in a prefix
 * (`10.0.0.5/16`) are masked off, as Azure does.
 *
 * `IpRange` holds bigints, so it is for computation inside the domain only: inputs and outputs of domain functions
 * carry prefixes as strings.
 */
import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;

export interface IpRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
  readonly prefixLength: number;
  /** The text it was parsed from (trimmed). */
  readonly text: string;
}

/** The interval of a prefix or bare address; undefined when the text is neither. */
export function parsePrefix(text: string): IpRange | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const family = addressFamily(address);
  if (family === undefined) return undefined;
  const maxBits = family === 4 ? 32 : 128;
  const prefixLength = slash === -1 ? maxBits : parsePrefixLength(trimmed.slice(slash + 1), maxBits);
  if (prefixLength === undefined) return undefined;
  const value = toBigInt(ipaddr.parse(address).toByteArray());
  const hostBits = BigInt(maxBits - prefixLength);
  const first = (value >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  return { family, first, last, prefixLength, text: trimmed };
}

/** True when `text` is a prefix or bare address `parsePrefix` accepts. */
export function isPrefix(text: string): boolean {
  return parsePrefix(text) !== undefined;
}

export function rangeContains(outer: IpRange, inner: IpRange): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** The first pair (in input order) of overlapping ranges, one from each list. */
export function firstOverlap(
  left: readonly IpRange[],
  right: readonly IpRange[],
): readonly [IpRange, IpRange] | undefined {
  for (const a of left) {
    for (const b of right) {
      if (rangesOverlap(a, b)) return [a, b];
    }
  }
  return undefined;
}

export type Coverage = 'full' | 'partial' | 'none';

/**
 * How much of `range` the union of `ranges` covers: all of it, some of it, or none. Adjacent and overlapping ranges
 * are merged first, so `10.0.0.0/25` + `10.0.0.128/25` fully cover `10.0.0.0/24`.
 */
export function coverage(ranges: readonly IpRange[], range: IpRange): Coverage {
  let touched = false;
  for (const merged of mergeRanges(ranges.filter((r) => r.family === range.family))) {
    if (merged.first <= range.first && range.last <= merged.last) return 'full';
    if (merged.first <= range.last && range.first <= merged.last) touched = true;
  }
  return touched ? 'partial' : 'none';
}

interface Interval {
  first: bigint;
  last: bigint;
}

function mergeRanges(ranges: readonly IpRange[]): Interval[] {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: Interval[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.first <= last.last + 1n) {
      if (r.last > last.last) last.last = r.last;
    } else {
      merged.push({ first: r.first, last: r.last });
    }
  }
  return merged;
}

function addressFamily(address: string): IpFamily | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return 4;
  if (!address.includes('%') && address.includes(':') && ipaddr.IPv6.isValid(address)) return 6;
  return undefined;
}

function parsePrefixLength(text: string, maxBits: number): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const bits = Number(text);
  return bits <= maxBits ? bits : undefined;
}

function toBigInt(bytes: readonly number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
