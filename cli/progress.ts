/**
 * Following an operation until it ends (`apply --wait`, `operation --wait`): polls `GET /operations/{id}` and reports
 * what changed — the status, the live phase, each member's outcome, mesh state and current step (`watching`,
 * `diagnose`, `grantNetworkContributor`, `reconcileCluster`), each remediation recorded — above a progress bar of
 * members done out of the members the apply converges (`convergenceWork`: added, removed, and repaired). On a terminal the bar is drawn in place by cli-progress; otherwise
 * (a pipe, CI) every change is one plain line, so logs stay readable. Everything goes to stderr: stdout is left for the
 * result (`--output json` stays parseable).
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import { path, type ApiClient } from './api.js';
import { CliError, ExitCode } from './exitCodes.js';
import type { Output } from './io.js';
import type { Style } from './render/style.js';
import { convergenceWork } from '../orchestrations/work.js';
import {
  fixText,
  OperationPlanSchema,
  OperationSchema,
  TERMINAL_STATUSES,
  type Operation,
  type ProgressEntry,
} from './schemas.js';

export interface WatchOptions {
  readonly out: Output;
  readonly style: Style;
  /** Between polls (default 1000 ms). */
  readonly intervalMs?: number;
  /** Give up (exit 8) after this long; undefined waits as long as it takes. */
  readonly timeoutMs?: number;
  /** Consecutive failed polls tolerated before giving up (default 5). */
  readonly maxPollFailures?: number;
}

export interface MemberProgress {
  readonly member: string;
  readonly outcome: string;
  readonly meshState: string | null;
  readonly step: string | undefined;
}

export interface ProgressSnapshot {
  readonly status: Operation['status'];
  readonly phase: string;
  readonly members: readonly MemberProgress[];
  /** Remediations recorded so far, as `member: step outcome`. */
  readonly remediations: readonly string[];
  /** The fixes made before the apply, as `member: what` (known once the plan is recorded). */
  readonly fixes: readonly string[];
  /** Members the apply converges: Add and Remove rows, Failed members repaired (undefined until the plan is recorded). */
  readonly total: number | undefined;
  readonly done: number;
}

/**
 * Member outcomes that mean "this member is done": the recorded ones (`Succeeded`, `Failed`, `Skipped`) and the live
 * ones a convergence batch reports (`connected`, `removed`, `failed`, `timeout`). `needsReapply` is not done: the
 * member goes into another remediation round; `converging` is in flight.
 */
const DONE_OUTCOMES = new Set(['succeeded', 'failed', 'skipped', 'connected', 'removed', 'timeout']);

/** What an operation record says about progress, merging the live `progress` over the recorded `members`. */
export function progressOf(op: Operation): ProgressSnapshot {
  const byMember = new Map<string, MemberProgress>();
  for (const m of op.members) {
    byMember.set(m.member, { member: m.member, outcome: m.outcome, meshState: m.meshState, step: undefined });
  }
  for (const p of op.progress ?? ([] as ProgressEntry[])) {
    byMember.set(p.member, { member: p.member, outcome: p.outcome, meshState: p.meshState, step: p.step });
  }
  const plan = OperationPlanSchema.safeParse(op.plan);
  // The members the apply converges, as meshApply derives them: Add and Remove rows, and the Failed members a repair
  // brings back to Connected.
  const work = plan.success
    ? convergenceWork(
        plan.data.rows.map((r) => ({
          name: r.name,
          action: r.action,
          meshState: typeof r.meshState === 'string' ? r.meshState : null,
          clusterResourceId: typeof r.clusterResourceId === 'string' ? r.clusterResourceId : '',
        })),
      )
    : [];
  const members = [...byMember.values()].sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  const workNames = new Set(work.map((w) => w.member));
  const done = members.filter(
    (m) => DONE_OUTCOMES.has(m.outcome.toLowerCase()) && (workNames.size === 0 || workNames.has(m.member)),
  ).length;
  return {
    status: op.status,
    phase: op.livePhase ?? op.phase ?? op.status,
    members,
    remediations: op.members.flatMap((m) => m.remediations.map((r) => `${m.member}: ${r.step} ${r.outcome}`)),
    fixes: plan.success ? plan.data.fixes.map((f) => `${f.member}: ${fixText(f)}`) : [],
    total: plan.success ? work.length : undefined,
    done,
  };
}

/** The lines that describe how `next` differs from `previous` (everything, when there is no previous). */
export function changes(previous: ProgressSnapshot | undefined, next: ProgressSnapshot, s: Style): string[] {
  const lines: string[] = [];
  if (previous?.status !== next.status) lines.push(`status ${s.state(next.status)}`);
  if (previous?.phase !== next.phase && next.phase !== next.status) lines.push(`phase ${next.phase}`);
  // Listed once, as soon as the recorded plan names them (the remediating phase itself may pass between two polls).
  if ((previous?.fixes.length ?? 0) === 0) for (const f of next.fixes) lines.push(`  fix before the apply: ${f}`);
  const before = new Map((previous?.members ?? []).map((m) => [m.member, m]));
  for (const m of next.members) {
    const p = before.get(m.member);
    if (p && p.outcome === m.outcome && p.meshState === m.meshState && p.step === m.step) continue;
    const parts = [s.state(m.outcome), m.meshState === null ? 'not in mesh' : `mesh state ${s.state(m.meshState)}`];
    if (m.step !== undefined) parts.push(`step ${m.step}`);
    lines.push(`  ${m.member}: ${parts.join(', ')}`);
  }
  const seen = new Set(previous?.remediations ?? []);
  for (const r of next.remediations) if (!seen.has(r)) lines.push(`  remediation ${r}`);
  return lines;
}

/** A text bar for logs: `[#####.....]`. */
export function textBar(value: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : Math.min(width, Math.round((value / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export async function watchOperation(client: ApiClient, id: string, options: WatchOptions): Promise<Operation> {
  const interval = options.intervalMs ?? 1000;
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  const maxFailures = options.maxPollFailures ?? 5;
  const view = createView(options.out, options.style);
  let previous: ProgressSnapshot | undefined;
  let failures = 0;
  try {
    for (;;) {
      let op: Operation;
      try {
        op = (await client.request('GET', path('operations', id), OperationSchema)).data;
        failures = 0;
      } catch (e) {
        // A poll that fails on the way (the app restarting, a 5xx) is retried; a 4xx is an answer.
        const transient =
          e instanceof CliError && (e.exitCode === ExitCode.Unreachable || e.exitCode === ExitCode.ApiError);
        if (!transient || ++failures > maxFailures) throw e;
        view.log(`poll failed (${failures}/${maxFailures}), retrying: ${e.message}`);
        await sleep(interval);
        continue;
      }
      const next = progressOf(op);
      for (const line of changes(previous, next, options.style)) view.log(line);
      view.update(next);
      previous = next;
      if (TERMINAL_STATUSES.includes(op.status)) return op;
      if (deadline !== undefined && Date.now() >= deadline) {
        throw new CliError(
          ExitCode.Timeout,
          `operation ${id} is still ${op.status} (${next.phase}) after ${Math.round((options.timeoutMs ?? 0) / 1000)} s; ` +
            `it goes on in the app: follow it with 'fleetmesh operation ${id} --wait'`,
        );
      }
      await sleep(interval);
    }
  } finally {
    view.stop();
  }
}

interface View {
  log(line: string): void;
  update(snapshot: ProgressSnapshot): void;
  stop(): void;
}

function createView(out: Output, s: Style): View {
  if (out.isTTY && out.stream) {
    const multi = new MultiBar({
      stream: out.stream,
      format: ' {phase} [{bar}] {value}/{total} member(s) done',
      barCompleteChar: '#',
      barIncompleteChar: '.',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    });
    let bar: SingleBar | undefined;
    return {
      log: (line) => {
        multi.log(`${line}\n`);
      },
      update: (snap) => {
        const total = snap.total ?? Math.max(1, snap.members.length);
        if (!bar) bar = multi.create(total, snap.done, { phase: snap.phase });
        bar.setTotal(total);
        bar.update(snap.done, { phase: snap.phase });
      },
      stop: () => {
        // Render once more so lines logged since the last frame are written before the bar stops.
        multi.update();
        multi.stop();
      },
    };
  }
  let last = '';
  return {
    log: (line) => {
      out.write(`${line}\n`);
    },
    update: (snap) => {
      if (snap.total === undefined) return;
      const line = `  progress ${textBar(snap.done, snap.total)} ${snap.done}/${snap.total} member(s) done`;
      if (line !== last) out.write(`${s.dim(line)}\n`);
      last = line;
    },
    stop: () => undefined,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
