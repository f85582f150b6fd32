/**
 * Fleet `memberSelector.byLabel`: `k=v[,k2=v2]`, only the `=` operator, keys not repeated, at most 512 characters
 * (reference §1.2). An empty or missing selector selects no members.
 */

export type SelectorParse =
  { readonly ok: true; readonly pairs: ReadonlyMap<string, string> } | { readonly ok: false; readonly error: string };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function parseSelector(byLabel: string): SelectorParse {
  if (byLabel.length > 512) return { ok: false, error: 'memberSelector.byLabel is longer than 512 characters' };
  const pairs = new Map<string, string>();
  if (byLabel.trim() === '') return { ok: true, pairs };
  for (const raw of byLabel.split(',')) {
    const part = raw.trim();
    if (/!=|==|\s(in|notin)\s|^!/.test(part) || !part.includes('=')) {
      return { ok: false, error: `'${part}' is not a key=value pair: only the '=' operator is supported` };
    }
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (!KEY.test(k)) return { ok: false, error: `'${k}' is not a valid label key` };
    if (!VALUE.test(v) || v.length > 63)
      return { ok: false, error: `'${v}' is not a valid label value for key '${k}'` };
    if (pairs.has(k)) return { ok: false, error: `the key '${k}' appears more than once` };
    pairs.set(k, v);
  }
  return { ok: true, pairs };
}

/** True when every pair equals the member's label (an empty selector matches nothing). */
export function selects(pairs: ReadonlyMap<string, string>, labels: Readonly<Record<string, string>>): boolean {
  if (pairs.size === 0) return false;
  for (const [k, v] of pairs) if (labels[k] !== v) return false;
  return true;
}

export const LABEL_KEY = KEY;
export const LABEL_VALUE = VALUE;
