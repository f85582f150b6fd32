/**
 * Deterministic ordering for domain outputs: code-unit string order, independent of the locale (unlike
 * `localeCompare`), so the same input always gives the same output on every machine.
 */

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares by each key in turn; `undefined` sorts before any string. */
export function compareKeys(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return compareText(x, y);
  }
  return 0;
}
