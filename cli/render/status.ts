/** `fleetmesh status` as text: the profile, its members, the Traffic Manager endpoints, the policy, the reconciler. */
import { userLabels } from '../labels.js';
import { ReconcilerStatusSchema, type MeshView, type Operation } from '../schemas.js';
import { notRoutedLine } from './plan.js';
import type { Style } from './style.js';
import { table } from './table.js';

export function renderStatus(view: MeshView, lastOperation: Operation | undefined, s: Style): string {
  const out: string[] = [];
  out.push(s.bold(`Mesh profile '${view.profile}'`) + `: ${s.state(view.profileState ?? 'unknown')}`);
  const applied =
    view.lastAppliedSelector === undefined || view.lastAppliedSelector === view.selector
      ? ''
      : ` (last applied: ${view.lastAppliedSelector ?? 'none'})`;
  out.push(`  selector  ${view.selector ?? '(none)'}${applied}`);
  out.push(`  updated   ${view.updatedAt}`);
  out.push('');

  const inMesh = view.members.filter((m) => m.meshState !== null).length;
  out.push(s.bold(`Members`) + ` (${view.members.length} selected or in the mesh, ${inMesh} in the mesh)`);
  if (view.members.length > 0) {
    out.push(
      table(
        ['Name', 'MeshState', 'CiliumId', 'Labels', 'ClusterResourceId'],
        view.members.map((m) => [
          m.name,
          m.meshState === null
            ? m.otherProfile
              ? `in ${lastSegment(m.otherProfile)}`
              : 'not in mesh'
            : s.state(m.meshState),
          m.ciliumId ?? '-',
          userLabels(m.labels),
          m.clusterResourceId ?? '',
        ]),
      ),
    );
    for (const m of view.members.filter((x) => x.error !== undefined)) {
      out.push(`  ${s.state('Failed')} ${m.name}: ${m.error?.code ?? ''}: ${m.error?.message ?? ''}`);
    }
  }
  out.push('');

  const tm = view.trafficManager;
  if (tm === null) out.push(s.bold('Traffic Manager') + ': none recorded.');
  else {
    out.push(s.bold('Traffic Manager') + (tm.fqdn ? ` ${tm.fqdn}` : ''));
    if (tm.endpoints.length === 0) out.push('  no endpoints.');
    else {
      out.push(
        table(
          ['Endpoint', 'Member', 'Weight', 'Status', 'Monitor'],
          tm.endpoints.map((e) => [
            e.name,
            e.member ?? '',
            e.weight,
            s.state(e.status),
            s.state(e.monitorStatus ?? 'unknown'),
          ]),
        ),
      );
    }
    if (tm.notRouted.length > 0) out.push(`  ${s.state('Failed')} ${notRoutedLine(tm.notRouted)}`);
  }
  out.push('');

  out.push(s.bold('Policy') + (view.policyIsDefault ? ' (default: none set)' : '') + `: ${policyLine(view.policy)}`);
  const rec = view.reconciler;
  if (rec === null) out.push(s.bold('Reconciler') + ': not started for this profile.');
  else {
    const st = ReconcilerStatusSchema.safeParse(rec.status);
    const details = st.success
      ? [
          st.data.phase ? `phase ${st.data.phase}` : undefined,
          st.data.pendingApplies === undefined ? undefined : `${st.data.pendingApplies} pending apply(ies)`,
          st.data.pendingChanges === undefined ? undefined : `${st.data.pendingChanges} pending change(s)`,
        ].filter((x): x is string => x !== undefined)
      : [];
    out.push(
      s.bold('Reconciler') +
        `: ${s.state(rec.runtimeStatus ?? 'unknown')}${details.length ? `, ${details.join(', ')}` : ''}`,
    );
  }
  if (view.lastOperationId === null) out.push(s.bold('Last operation') + ': none.');
  else if (lastOperation === undefined) out.push(s.bold('Last operation') + `: ${view.lastOperationId}`);
  else {
    const when = lastOperation.finishedAt ?? lastOperation.startedAt ?? lastOperation.createdAt;
    out.push(
      s.bold('Last operation') +
        `: ${lastOperation.id} ${lastOperation.kind} ${s.state(lastOperation.status)} (${when})` +
        (lastOperation.error ? ` ${lastOperation.error.code}: ${lastOperation.error.message}` : ''),
    );
    if (lastOperation.status === 'AwaitingApproval') {
      out.push(
        `  waiting for approval: fleetmesh approve ${lastOperation.id}   or   fleetmesh reject ${lastOperation.id}`,
      );
    }
  }
  return out.join('\n');
}

export function policyLine(policy: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const mode = policy.mode;
  if (typeof mode === 'string') parts.push(`mode ${mode}`);
  if (typeof policy.allowRemovals === 'boolean') parts.push(`allowRemovals ${policy.allowRemovals}`);
  if (typeof policy.debounceSeconds === 'number') parts.push(`debounce ${policy.debounceSeconds} s`);
  if (typeof policy.approvalTimeoutHours === 'number') parts.push(`approval timeout ${policy.approvalTimeoutHours} h`);
  parts.push(policy.traffic === undefined ? 'no Traffic Manager' : 'Traffic Manager managed');
  return parts.join(', ');
}

function lastSegment(id: string): string {
  return id.split('/').filter(Boolean).pop() ?? id;
}
