/**
 * What the status page shows, computed from the API's answers without touching the DOM (so it is unit-tested in
 * Node): the mesh picture's layout (members grouped by VNet, VNet pairs with their peering), the words and glyphs
 * for each state (colour is never the only signal), the plan as a diff, the weight bars, the operations timeline.
 */
import * as z from 'zod';
import {
  FindingSchema,
  fixOutcome,
  fixText,
  OperationPlanSchema,
  type EndpointView,
  type MemberView,
  type MeshView,
  type Operation,
  type Topology,
} from '../../cli/schemas.js';

// ---------------------------------------------------------------------------------------------------------------
// States

export type Tone = 'good' | 'busy' | 'bad' | 'off';

export interface StateLook {
  /** The word shown next to the colour. */
  readonly label: string;
  /** A glyph that differs per tone, for those who cannot tell the colours apart. */
  readonly glyph: string;
  readonly tone: Tone;
}

const GLYPH: Readonly<Record<Tone, string>> = { good: '✓', busy: '…', bad: '✕', off: '–' };

export function look(state: string | null | undefined, absent = 'not in mesh'): StateLook {
  if (state === null || state === undefined || state === '' || state === '-') {
    return { label: absent, glyph: GLYPH.off, tone: 'off' };
  }
  const key = state.toLowerCase();
  const tone: Tone = [
    'connected',
    'succeeded',
    'online',
    'enabled',
    'recorded',
    'completed',
    'none',
    'peered',
  ].includes(key)
    ? 'good'
    : [
          'connecting',
          'disconnecting',
          'pending',
          'running',
          'awaitingapproval',
          'checkingendpoint',
          'add',
          'remove',
          'warning',
        ].includes(key)
      ? 'busy'
      : ['failed', 'rejected', 'degraded', 'error', 'terminated', 'notpeered'].includes(key)
        ? 'bad'
        : 'off';
  return { label: state, glyph: GLYPH[tone], tone };
}

// ---------------------------------------------------------------------------------------------------------------
// Mesh picture

export interface NodeLayout {
  readonly member: MemberView;
  readonly x: number;
  readonly y: number;
  readonly look: StateLook;
}

export interface GroupLayout {
  /** VNet id, or `unknown` for members whose VNet could not be read (or before the topology loaded). */
  readonly key: string;
  readonly title: string;
  readonly subtitle: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly NodeLayout[];
}

export interface LinkLayout {
  readonly from: string;
  readonly to: string;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly peered: boolean;
  readonly label: string;
  readonly problems: readonly string[];
}

export interface MeshLayout {
  readonly width: number;
  readonly height: number;
  readonly groups: readonly GroupLayout[];
  readonly links: readonly LinkLayout[];
  /** A sentence per group and link, for screen readers (the picture's `<desc>`). */
  readonly description: string;
}

export const NODE_RADIUS = 30;
const NODE_SPACING = 120;
const GROUP_PADDING = 24;
const GROUP_HEADER = 48;
const GROUP_GAP = 140;
const NODE_FOOTER = 40;
const PER_ROW_IN_GROUP = 3;

/** Members grouped by the VNet they sit in; groups side by side (wrapping after three), peerings between them. */
export function layoutMesh(members: readonly MemberView[], topology: Topology | undefined): MeshLayout {
  const vnetOf = new Map<string, string>();
  for (const m of topology?.members ?? []) {
    const first = m.vnetIds[0];
    if (first !== undefined) vnetOf.set(m.name, first.toLowerCase());
  }
  const vnets = new Map((topology?.vnets ?? []).map((v) => [v.id.toLowerCase(), v]));
  const groups = new Map<string, MemberView[]>();
  for (const m of members) {
    const key = vnetOf.get(m.name) ?? 'unknown';
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const keys = [...groups.keys()].sort((a, b) =>
    a === 'unknown' ? 1 : b === 'unknown' ? -1 : compare(vnets.get(a)?.name ?? a, vnets.get(b)?.name ?? b),
  );

  const perRow = 3;
  const laidOut: GroupLayout[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  keys.forEach((key, index) => {
    if (index > 0 && index % perRow === 0) {
      x = 0;
      y += rowHeight + GROUP_GAP / 2;
      rowHeight = 0;
    }
    const list = [...(groups.get(key) ?? [])].sort((a, b) => compare(a.name, b.name));
    const cols = Math.max(1, Math.min(PER_ROW_IN_GROUP, list.length));
    const rows = Math.max(1, Math.ceil(list.length / PER_ROW_IN_GROUP));
    const width = Math.max(220, GROUP_PADDING * 2 + cols * NODE_SPACING);
    const height = GROUP_HEADER + rows * (NODE_RADIUS * 2 + NODE_FOOTER) + GROUP_PADDING;
    const vnet = vnets.get(key);
    const nodes = list.map((member, i) => ({
      member,
      x:
        x +
        GROUP_PADDING +
        NODE_SPACING / 2 +
        (i % PER_ROW_IN_GROUP) * NODE_SPACING +
        (width - GROUP_PADDING * 2 - cols * NODE_SPACING) / 2,
      y: y + GROUP_HEADER + NODE_RADIUS + Math.floor(i / PER_ROW_IN_GROUP) * (NODE_RADIUS * 2 + NODE_FOOTER),
      look: look(member.meshState, member.otherProfile ? `in ${lastSegment(member.otherProfile)}` : 'not in mesh'),
    }));
    laidOut.push({
      key,
      title: vnet ? `VNet ${vnet.name}` : 'VNet unknown',
      subtitle: vnet
        ? [vnet.resourceGroup, vnet.addressPrefixes.join(', ')].filter((s) => s !== null && s !== '').join(' · ')
        : topology === undefined
          ? 'topology not loaded'
          : 'could not be read',
      x,
      y,
      width,
      height,
      nodes,
    });
    x += width + GROUP_GAP;
    rowHeight = Math.max(rowHeight, height);
  });

  const byKey = new Map(laidOut.map((g) => [g.key, g]));
  const links: LinkLayout[] = [];
  for (const p of topology?.peerings ?? []) {
    const a = byKey.get(p.vnets[0].toLowerCase());
    const b = byKey.get(p.vnets[1].toLowerCase());
    if (!a || !b) continue;
    const [x1, y1] = edgePoint(a, b);
    const [x2, y2] = edgePoint(b, a);
    links.push({
      from: a.title,
      to: b.title,
      x1,
      y1,
      x2,
      y2,
      peered: p.peered,
      label: p.peered ? 'peered' : 'not peered',
      problems: p.problems,
    });
  }

  const width = Math.max(1, ...laidOut.map((g) => g.x + g.width));
  const height = Math.max(1, ...laidOut.map((g) => g.y + g.height));
  return { width, height, groups: laidOut, links, description: describeMesh(laidOut, links) };
}

function edgePoint(from: GroupLayout, to: GroupLayout): [number, number] {
  const cx = from.x + from.width / 2;
  const cy = from.y + from.height / 2;
  const tx = to.x + to.width / 2;
  const ty = to.y + to.height / 2;
  const dx = tx - cx;
  const dy = ty - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  // Where the line from the centre towards the other group leaves this group's box.
  const sx = dx === 0 ? Infinity : from.width / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : from.height / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [cx + dx * s, cy + dy * s];
}

function describeMesh(groups: readonly GroupLayout[], links: readonly LinkLayout[]): string {
  if (groups.length === 0) return 'No member is in the mesh or selected for it.';
  const parts = groups.map(
    (g) =>
      `${g.title}: ${g.nodes
        .map(
          (n) =>
            `${n.member.name} (${n.look.label}${n.member.ciliumId === null ? '' : `, Cilium id ${n.member.ciliumId}`})`,
        )
        .join(', ')}.`,
  );
  for (const l of links) parts.push(`${l.from} and ${l.to} are ${l.label}.`);
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// Plan

const StoredPlanSchema = z.looseObject({
  rows: z
    .array(
      z.looseObject({
        action: z.string(),
        name: z.string(),
        clusterResourceId: z.string().optional(),
        meshState: z.string().optional(),
        eTag: z.string().optional(),
        errorMessage: z.string().optional(),
      }),
    )
    .default([]),
  findings: z.array(FindingSchema).default([]),
});

export interface PlanRowView {
  /** `+` add, `-` remove, `=` none, `!` error: the diff marker, also read out as the action word. */
  readonly marker: string;
  readonly action: string;
  readonly name: string;
  readonly clusterResourceId: string;
  readonly meshState: string;
  readonly note: string | undefined;
}

export interface PlanView {
  readonly planId: string;
  readonly computedAt: string;
  readonly rows: readonly PlanRowView[];
  readonly findings: z.output<typeof FindingSchema>[];
  readonly counts: Readonly<Record<'Add' | 'Remove' | 'None' | 'Error', number>>;
}

const MARKER: Readonly<Record<string, string>> = { Add: '+', Remove: '−', None: '=', Error: '!' };

export function planView(lastPlan: MeshView['lastPlan']): PlanView | undefined {
  if (lastPlan === null) return undefined;
  const parsed = StoredPlanSchema.safeParse(lastPlan.plan);
  if (!parsed.success) return undefined;
  const counts = { Add: 0, Remove: 0, None: 0, Error: 0 };
  const rows = parsed.data.rows.map((r) => {
    if (r.action === 'Add' || r.action === 'Remove' || r.action === 'None' || r.action === 'Error') counts[r.action]++;
    return {
      marker: MARKER[r.action] ?? '?',
      action: r.action,
      name: r.name,
      clusterResourceId: r.clusterResourceId ?? '',
      meshState: r.meshState ?? '-',
      note: r.errorMessage,
    };
  });
  return { planId: lastPlan.planId, computedAt: lastPlan.computedAt, rows, findings: parsed.data.findings, counts };
}

/** Whether a plan was carried out, as far as the operations tell. */
export type PlanApplied = 'applied' | 'applying' | 'awaiting approval' | 'not applied' | 'nothing to apply';

/**
 * Where the plan shown comes from, so nobody takes an old plan for the fleet now: when it was computed (and how long
 * ago), the operation it belongs to (the newest one carrying its plan id) and whether that operation applied it.
 */
export interface PlanProvenance {
  /** `stored`: the reconciler's last plan (from the mesh view); `fresh`: computed on request on this page. */
  readonly source: 'stored' | 'fresh';
  readonly computedAt: string;
  /** `3 min ago`, at the time given. */
  readonly age: string;
  readonly operationId: string | undefined;
  readonly applied: PlanApplied;
  /** What happened to it, in words. */
  readonly sentence: string;
  /** Why it may not be the fleet's state now; undefined when it is recent and nothing has applied it. */
  readonly warning: string | undefined;
}

/** A plan older than this may not match the fleet any more (the reconciler re-plans every 10 minutes). */
export const PLAN_STALE_AFTER_MS = 15 * 60_000;

export function planProvenance(
  plan: PlanView,
  operations: readonly Operation[],
  now: Date,
  source: 'stored' | 'fresh' = 'stored',
): PlanProvenance {
  const op = [...operations]
    .filter((o) => o.planId === plan.planId)
    .sort((a, b) => compare(b.createdAt, a.createdAt))[0];
  const changes = plan.counts.Add + plan.counts.Remove;
  let applied: PlanApplied;
  let sentence: string;
  if (op === undefined) {
    applied = changes === 0 ? 'nothing to apply' : 'not applied';
    sentence =
      changes === 0
        ? 'No operation: it has nothing to add or remove.'
        : source === 'fresh'
          ? 'Not applied: computing a plan changes nothing.'
          : 'Not applied: no recent operation carries it.';
  } else if (changes === 0) {
    applied = 'nothing to apply';
    sentence = `Nothing to add or remove; it belongs to operation ${op.id} (${op.kind}, ${op.status}).`;
  } else {
    const which = `operation ${op.id} (${op.kind})`;
    switch (op.status) {
      case 'Succeeded':
        applied = 'applied';
        sentence = `Applied by ${which}, which succeeded.`;
        break;
      case 'Pending':
      case 'Running':
        applied = 'applying';
        sentence = `Being applied by ${which} (${op.status}).`;
        break;
      case 'AwaitingApproval':
        applied = 'awaiting approval';
        sentence = `Not applied yet: ${which} waits for approval.`;
        break;
      case 'Recorded':
        applied = 'not applied';
        sentence = `Not applied: ${which} recorded it without applying it.`;
        break;
      case 'Rejected':
        applied = 'not applied';
        sentence = `Not applied: ${which} was rejected.`;
        break;
      case 'Failed':
        applied = 'not applied';
        sentence = `Not applied (or only in part): ${which} failed${op.error ? ` (${op.error.code})` : ''}.`;
        break;
    }
  }
  const ageMs = now.getTime() - Date.parse(plan.computedAt);
  let warning: string | undefined;
  if (changes > 0 && op !== undefined && (op.status === 'Succeeded' || op.status === 'Failed')) {
    warning =
      'It shows the fleet before that apply, not now: the Mesh section shows the members now. ' +
      'Compute a fresh plan to see what an apply would change today.';
  } else if (Number.isFinite(ageMs) && ageMs > PLAN_STALE_AFTER_MS) {
    warning = `Computed ${ago(ageMs)}: the fleet may have changed since. Compute a fresh plan to see it now.`;
  }
  return {
    source,
    computedAt: plan.computedAt,
    age: Number.isFinite(ageMs) ? ago(ageMs) : 'at an unknown time',
    operationId: op?.id,
    applied,
    sentence,
    warning,
  };
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function ago(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

// ---------------------------------------------------------------------------------------------------------------
// Traffic Manager

export interface EndpointBar {
  readonly endpoint: EndpointView;
  /** The endpoint's weight as a share of all enabled weights (0-100), what Traffic Manager sends it. */
  readonly sharePercent: number;
  /** Bar length against the largest weight (0-100). */
  readonly barPercent: number;
  readonly status: StateLook;
  readonly monitor: StateLook;
}

export function endpointBars(endpoints: readonly EndpointView[]): EndpointBar[] {
  const enabled = endpoints.filter((e) => e.status === 'Enabled');
  const total = enabled.reduce((sum, e) => sum + e.weight, 0);
  const max = Math.max(1, ...endpoints.map((e) => e.weight));
  return endpoints.map((e) => ({
    endpoint: e,
    sharePercent: e.status === 'Enabled' && total > 0 ? Math.round((e.weight / total) * 1000) / 10 : 0,
    barPercent: Math.round((e.weight / max) * 1000) / 10,
    status: look(e.status),
    monitor: look(e.monitorStatus, 'not reported'),
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Operations timeline

export interface TimelineEntry {
  readonly id: string;
  readonly when: string;
  readonly title: string;
  readonly status: StateLook;
  readonly lines: readonly string[];
}

type Fix = ReturnType<typeof OperationPlanSchema.parse>['fixes'][number];
type Remediation = Operation['members'][number]['remediations'][number];

/**
 * Each member once, with its outcome and remediations. The fixes made before the apply (Network Contributor on the
 * VNets, then a reconcile of the cluster) are both in the plan and, once made, at the head of the member's recorded
 * remediations: they are said once, as "remediation before the apply", and the member's later steps (from `diagnose`
 * on) as "remediation while converging". A fix the record has no step for (it failed, or the member never ran) gets a
 * line of its own.
 */
export function timeline(operations: readonly Operation[]): TimelineEntry[] {
  return [...operations]
    .sort((a, b) => compare(b.createdAt, a.createdAt))
    .map((op) => {
      const lines: string[] = [];
      const plan = OperationPlanSchema.safeParse(op.plan);
      const fixesOf = new Map<string, Fix[]>();
      for (const f of plan.success ? plan.data.fixes : []) fixesOf.set(f.member, [...(fixesOf.get(f.member) ?? []), f]);
      const outcome = fixOutcome(op);
      const said = new Set<string>();
      for (const m of op.members) {
        const fixes = fixesOf.get(m.member) ?? [];
        const before = fixes.length > 0 ? leadingFixSteps(m.remediations) : [];
        const after = m.remediations.slice(before.length);
        const parts = [`${m.member}: ${m.action ?? '-'} → ${m.outcome}${m.meshState ? ` (${m.meshState})` : ''}`];
        if (before.length > 0) {
          said.add(m.member);
          const failed = before.find((r) => r.outcome !== 'Succeeded');
          parts.push(
            `remediation before the apply: ${fixesText(fixes)} ${(failed?.outcome ?? 'Succeeded').toLowerCase()}`,
          );
        }
        if (after.length > 0) {
          const steps = after.map((r) => `${r.step} ${r.outcome.toLowerCase()}`);
          parts.push(`remediation${before.length > 0 ? ' while converging' : ''}: ${steps.join(', ')}`);
        }
        lines.push(parts.join('; '));
      }
      for (const [member, fixes] of fixesOf) {
        if (said.has(member)) continue;
        lines.push(
          `${member}: remediation before the apply: ${fixesText(fixes)}${outcome ? ` ${outcome.toLowerCase()}` : ''}`,
        );
      }
      for (const a of op.approvals) {
        lines.push(
          `${a.decision === 'approve' ? 'approved' : 'rejected'} by ${a.by}${a.comment ? `: ${a.comment}` : ''}`,
        );
      }
      if (op.error) lines.push(`${op.error.code}: ${op.error.message}`);
      return {
        id: op.id,
        when: op.finishedAt ?? op.startedAt ?? op.createdAt,
        title: `${op.kind} by ${op.trigger}${op.requestedBy && op.requestedBy !== 'fleetmesh' ? ` (${op.requestedBy})` : ''}`,
        status: look(op.status),
        lines,
      };
    });
}

/** The steps fleetmesh recorded for the fixes before the apply: the leading grants and the reconcile after them. */
function leadingFixSteps(remediations: readonly Remediation[]): Remediation[] {
  let n = 0;
  while (remediations[n]?.step === 'grantNetworkContributor') n++;
  if (remediations[n]?.step === 'reconcileCluster') n++;
  return remediations.slice(0, n);
}

/** `grantNetworkContributor on vnet-west, then reconcileCluster` (one reconcile for all of a member's VNets). */
function fixesText(fixes: readonly Fix[]): string {
  if (fixes.length === 1 && fixes[0]) return fixText(fixes[0]);
  const vnets = fixes.map((f) => f.scope.split('/').filter(Boolean).pop() ?? f.scope);
  return `grantNetworkContributor on ${vnets.join(', ')}, then reconcileCluster`;
}

// ---------------------------------------------------------------------------------------------------------------

export function summary(view: MeshView): string {
  const inMesh = view.members.filter((m) => m.meshState !== null);
  const connected = inMesh.filter((m) => m.meshState === 'Connected').length;
  return `${connected} of ${inMesh.length} member(s) Connected; profile ${view.profileState ?? 'unknown'}`;
}

function lastSegment(id: string): string {
  return id.split('/').filter(Boolean).pop() ?? id;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
