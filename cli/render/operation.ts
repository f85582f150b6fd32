/** An operation as text: its status, per-member results with their remediations, approvals, ARM calls, error. */
import { fixOutcome, fixText, OperationPlanSchema, type Operation } from '../schemas.js';
import type { Style } from './style.js';
import { table } from './table.js';

export function renderOperation(op: Operation, s: Style): string {
  const out: string[] = [];
  const by = op.requestedBy ? `, requested by ${op.requestedBy}` : '';
  out.push(
    s.bold(`Operation ${op.id}`) + ` (${op.kind} of '${op.profile}' by ${op.trigger}${by}): ${s.state(op.status)}`,
  );
  const duration = durationText(op.startedAt, op.finishedAt);
  if (duration) out.push(`  took ${duration}`);
  if (op.members.length > 0) {
    out.push(
      table(
        ['Member', 'Action', 'Outcome', 'MeshState', 'Attempts', 'Remediations', 'Duration'],
        op.members.map((m) => [
          m.member,
          m.action ?? '-',
          s.state(m.outcome),
          m.meshState ?? '-',
          m.attempts,
          m.remediations.length === 0 ? '-' : m.remediations.map((r) => `${r.step} ${r.outcome}`).join(', '),
          m.durationMs === undefined ? '' : `${(m.durationMs / 1000).toFixed(1)} s`,
        ]),
      ),
    );
    for (const m of op.members.filter((x) => x.error !== undefined)) {
      out.push(`  ${m.member}: ${m.error?.code ?? ''}: ${m.error?.message ?? ''}`);
    }
  }
  const plan = OperationPlanSchema.safeParse(op.plan);
  const fixes = plan.success ? plan.data.fixes : [];
  if (fixes.length > 0) {
    const outcome = fixOutcome(op);
    out.push('  fixes before the apply:');
    for (const f of fixes) out.push(`    ${f.member}: ${fixText(f)}${outcome ? ` ${s.state(outcome)}` : ''}`);
  }
  for (const a of op.approvals) {
    out.push(
      `  ${a.decision === 'approve' ? 'approved' : 'rejected'} by ${a.by} at ${a.at}${a.comment ? `: ${a.comment}` : ''}`,
    );
  }
  const c = op.armCalls;
  out.push(`  ARM calls: ${c.reads} read(s), ${c.writes} write(s), ${c.throttled} throttled, ${c.errors} error(s)`);
  if (op.error) out.push(s.paint('red', `  ${op.error.code}: ${op.error.message}`));
  if (op.status === 'AwaitingApproval') {
    out.push(`  waiting for approval: fleetmesh approve ${op.id}   or   fleetmesh reject ${op.id}`);
  }
  return out.join('\n');
}

function durationText(start: string | null, end: string | null): string | undefined {
  if (start === null || end === null) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? `${(ms / 1000).toFixed(1)} s` : undefined;
}
