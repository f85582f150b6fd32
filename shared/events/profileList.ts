/**
 * The fleet's mesh profile names from ARM, as fleetEvents needs them for every member event: read once and shared by
 * the events of a burst. A storm of label changes (hundreds of events in seconds) would otherwise spend one ARM read
 * per event on the same list, out of the principal's read budget that the reconciler needs for its plan.
 *
 * The list is kept `maxAgeMs` per instance (FLEETMESH_PROFILE_LIST_CACHE_SECONDS); 0 keeps nothing but still shares
 * one read between concurrent callers. A failed read is never kept. Staleness is bounded and harmless: a profile
 * created meanwhile signals its own reconciler (its own ARM event), and the resync timer looks at every profile.
 */
import ExpiryMap from 'expiry-map';
import pMemoize from 'p-memoize';

export function cachedProfileList(
  read: () => Promise<readonly string[]>,
  maxAgeMs: number,
): () => Promise<readonly string[]> {
  return pMemoize(read, {
    cacheKey: () => 'profiles',
    cache: maxAgeMs > 0 ? new ExpiryMap<string, readonly string[]>(maxAgeMs) : false,
  });
}
