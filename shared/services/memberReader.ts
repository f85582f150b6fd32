/**
 * Member mesh state for convergence polls. Hundreds of `memberConverge` orchestrations poll at once after an apply;
 * reading each member with its own GET would spend ARM's read budget on what one paged list returns. This reader
 * coalesces: concurrent reads share one `listMembers` call, and a list younger than the caller's `notBefore` is
 * reused. `notBefore` is the orchestration's current time, so a poll never sees a list taken before it decided to
 * poll (for example before the re-apply it is waiting on).
 */
import { sameResourceId } from '../arm/resourceId.js';
import type { FleetGateway } from '../azure/gateways.js';
import type { FleetMember } from '../models/index.js';
import type { MemberState } from '../../orchestrations/contracts.js';

export interface MemberStateReader {
  read(member: string, profileId: string, notBefore: Date): Promise<MemberState>;
}

interface Listing {
  readonly takenAt: number;
  readonly members: ReadonlyMap<string, FleetMember>;
}

export function createMemberStateReader(fleet: FleetGateway, now: () => Date = () => new Date()): MemberStateReader {
  let latest: Listing | undefined;
  let inflight: { readonly startedAt: number; readonly promise: Promise<Listing> } | undefined;

  const list = (notBefore: number): Promise<Listing> => {
    if (latest && latest.takenAt >= notBefore) return Promise.resolve(latest);
    if (inflight && inflight.startedAt >= notBefore) return inflight.promise;
    const startedAt = now().getTime();
    const promise = fleet
      .listMembers()
      .then((members) => {
        const listing: Listing = {
          takenAt: startedAt,
          members: new Map(members.map((m) => [m.name.toLowerCase(), m])),
        };
        if (!latest || latest.takenAt < startedAt) latest = listing;
        return listing;
      })
      .finally(() => {
        if (inflight?.promise === promise) inflight = undefined;
      });
    inflight = { startedAt, promise };
    return promise;
  };

  return {
    async read(member, profileId, notBefore) {
      const listing = await list(notBefore.getTime());
      const m = listing.members.get(member.toLowerCase());
      return stateOf(member, m, profileId);
    },
  };
}

export function stateOf(member: string, m: FleetMember | undefined, profileId: string): MemberState {
  if (!m) return { member, exists: false, meshState: null, otherProfileId: null, error: null };
  const mesh = m.properties.meshProperties;
  const inThis = mesh !== undefined && sameResourceId(mesh.clusterMeshProfileResourceId, profileId);
  const error = inThis ? mesh.status.error : undefined;
  return {
    member: m.name,
    exists: true,
    meshState: inThis ? mesh.status.state : null,
    otherProfileId: mesh && !inThis ? mesh.clusterMeshProfileResourceId : null,
    error: error ? { code: error.code ?? 'Unknown', message: error.message ?? '' } : null,
  };
}
