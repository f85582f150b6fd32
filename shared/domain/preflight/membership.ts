/**
 * Mesh membership rules: a member can be in only one mesh, and a mesh holds at most 255 members (reference §1.4).
 */
import { sameResourceId, tryParseResourceId } from '../../arm/resourceId.js';
import { MAX_MESH_MEMBERS } from '../whatIf.js';
import type { PreflightContext } from './context.js';
import type { PreflightFinding } from './types.js';

export function checkMembership(context: PreflightContext): PreflightFinding[] {
  const findings: PreflightFinding[] = [];
  const profileId = context.snapshot.profileId;
  let inThisMesh = 0;
  for (const { member } of context.members) {
    const other = member.properties.meshProperties?.clusterMeshProfileResourceId;
    if (other === undefined || sameResourceId(other, profileId)) {
      inThisMesh++;
      continue;
    }
    const otherName = tryParseResourceId(other)?.name ?? other;
    findings.push({
      checkId: 'membership.otherProfile',
      severity: 'error',
      member: member.name,
      resourceId: other,
      message: `member '${member.name}' is already in cluster mesh profile '${otherName}' (${other}); a member can be in only one mesh`,
      remediation: `remove the member from '${otherName}' first (change that profile's selector so it no longer matches, apply it, wait until the member is gone), or change this profile's selector so it does not match '${member.name}'`,
    });
  }
  // Members held by another profile cannot join, so they do not count towards this mesh's size.
  const count = inThisMesh;
  if (count > MAX_MESH_MEMBERS) {
    findings.push({
      checkId: 'membership.limit',
      severity: 'error',
      message: `the mesh would hold ${count} members; a cluster mesh holds at most ${MAX_MESH_MEMBERS}`,
      remediation: `narrow the member selector so it matches at most ${MAX_MESH_MEMBERS} members, or split the members over several mesh profiles`,
    });
  }
  return findings;
}
