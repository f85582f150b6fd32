/** Member labels as people want to read them. Pure (the status page uses it too). */

/** Fleet's own labels (`fleet.azure.com/...`: cluster name, location, ...) are left out: they say nothing new. */
export function userLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .filter(([k]) => !SYSTEM_LABEL_PREFIXES.some((p) => k.startsWith(p)))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export const SYSTEM_LABEL_PREFIXES = ['fleet.azure.com/', 'kubernetes.fleet.io/'];
