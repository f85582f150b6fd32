/** `fleetmesh plan` as text: the what-if table, the preflight findings with remediation, the Traffic Manager changes. */
import type { Finding, PlanResponse } from '../schemas.js';
import type { Style } from './style.js';
import { table } from './table.js';

export function renderPlan(plan: PlanResponse, s: Style): string {
  const out: string[] = [];
  const state = plan.profileExists ? `state ${s.state(plan.profileState)}` : 'does not exist yet: the apply creates it';
  out.push(s.bold(`Plan for mesh profile '${plan.profile}'`) + ` (${state})`);
  out.push(`  selector  ${selectorLine(plan)}`);
  out.push(`  plan id   ${plan.planId}`);
  out.push('');

  if (plan.rows.length === 0) {
    out.push('No member is in the mesh or picked by the selector.');
  } else {
    out.push(
      table(
        ['Action', 'Name', 'ClusterResourceId', 'MeshMembershipState', 'ETag'],
        plan.rows.map((r) => [s.state(r.action), r.name, r.clusterResourceId, r.meshState, r.eTag ?? '']),
      ),
    );
    for (const r of plan.rows.filter((row) => row.errorMessage !== undefined)) {
      out.push(`  ${s.state('Error')} ${r.name}: ${r.errorMessage ?? ''}`);
    }
  }
  const { add, remove, none, error, membersAfterApply } = plan.summary;
  out.push('');
  out.push(
    `Summary: ${add} to add, ${remove} to remove, ${none} unchanged, ${error} in error; ` +
      `${membersAfterApply} member(s) in the mesh after the apply.`,
  );

  out.push('');
  out.push(...renderFindings(plan.findings, s));

  out.push('');
  out.push(...renderTraffic(plan, s));

  out.push('');
  out.push(s.bold('Decision'));
  for (const [when, d] of [
    ['after an event', plan.decision.onEvent],
    ["on 'fleetmesh apply'", plan.decision.onApply],
  ] as const) {
    out.push(`  ${`${when}:`.padEnd(22)}${s.state(d.kind)}: ${d.reasons.join('; ')}`);
  }
  if (plan.blocked) {
    out.push('');
    out.push(s.paint('red', 'The apply is blocked until the preflight errors above are fixed.'));
  } else if (add + remove > 0) {
    out.push('');
    // A plan of a new selector is only that plan with the same selector: the command carries it.
    const selector = plan.selectorChanges ? ` --selector ${shellQuote(plan.desiredSelector)}` : '';
    out.push(`To apply exactly this plan: fleetmesh apply ${plan.profile} --plan ${plan.planId}${selector} --wait`);
  }
  return out.join('\n');
}

/** POSIX shell single quotes (selectors are label text: no quotes in practice, but never trust that). */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./=,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

function selectorLine(plan: PlanResponse): string {
  const desired = plan.desiredSelector === '' ? '(empty: selects nothing)' : plan.desiredSelector;
  if (!plan.selectorChanges) return `${desired} (unchanged)`;
  const current = plan.currentSelector === null ? '(none)' : plan.currentSelector;
  return `${current} -> ${desired} (the apply changes the profile's selector)`;
}

export function renderFindings(findings: readonly Finding[], s: Style): string[] {
  if (findings.length === 0) return [s.bold('Preflight') + ': no findings.'];
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const out = [s.bold('Preflight findings') + ` (${errors} error(s), ${warnings} warning(s))`];
  for (const f of findings) {
    const who = [f.member, f.peerMember].filter((m): m is string => m !== undefined).join(' <-> ');
    const fix = f.fixableByFleetmesh === true ? ' (fleetmesh fixes this during the apply)' : '';
    out.push(`  ${s.state(f.severity.toUpperCase())} ${f.checkId}${who ? ` [${who}]` : ''}${fix}`);
    out.push(`    ${f.message}`);
    if (f.resourceId !== undefined) out.push(`    resource: ${f.resourceId}`);
    out.push(`    remediation: ${f.remediation}`);
  }
  return out;
}

function renderTraffic(plan: PlanResponse, s: Style): string[] {
  if (plan.traffic === null) {
    return [s.bold('Traffic Manager') + ': not managed (the mesh policy has no traffic section).'];
  }
  const changes = plan.traffic.changes;
  const out = [s.bold('Traffic Manager changes')];
  const real = changes.filter((c) => c.action !== 'none');
  if (changes.length === 0) out.push('  no endpoints.');
  else {
    out.push(
      table(
        ['Action', 'Endpoint', 'Service', 'Member', 'Weight', 'Status', 'Reason'],
        changes.map((c) => [
          s.state(c.action),
          c.name,
          c.service,
          c.member,
          c.desired?.weight,
          c.desired?.endpointStatus,
          c.reason,
        ]),
      ),
    );
    if (real.length === 0) out.push('  (no change: every endpoint already matches)');
  }
  for (const i of plan.traffic.ineligible) {
    out.push(`  not a backend: ${i.member} for ${i.service} (${i.reason}): ${i.message}`);
  }
  if (plan.traffic.notRouted.length > 0) out.push(`  ${notRoutedLine(plan.traffic.notRouted)}`);
  return out;
}

/** One line for the members left without an endpoint: count, reason(s), the first few names. */
export function notRoutedLine(items: readonly { service: string; member: string; reason: string }[]): string {
  const reasons = [...new Set(items.map((i) => i.reason))].join('; ');
  const shown = items.slice(0, 10).map((i) => `${i.member} (${i.service})`);
  const more = items.length > shown.length ? `, and ${items.length - shown.length} more` : '';
  return `not routed, ${items.length} member(s) without an endpoint (${reasons}): ${shown.join(', ')}${more}`;
}
