/**
 * Azure RBAC action matching: case-insensitive, `*` matches any run of characters (including `/`), as in
 * `*`, `*\/read`, `Microsoft.Network/*` or `Microsoft.Authorization/*\/Write`.
 */
import type { Permission } from '../world.js';

const cache = new Map<string, RegExp>();

export function actionMatches(pattern: string, action: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${source}$`, 'i');
    cache.set(pattern, re);
  }
  return re.test(action);
}

/** True when one permission block of the role grants `action` (an action matches and no notAction matches). */
export function permissionsGrant(permissions: readonly Permission[], action: string): boolean {
  return permissions.some(
    (p) => p.actions.some((a) => actionMatches(a, action)) && !p.notActions.some((n) => actionMatches(n, action)),
  );
}
