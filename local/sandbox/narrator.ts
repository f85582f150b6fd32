/**
 * Narrates what fleetmesh is doing, in plain language, from its public HTTP API (the mesh view and the current
 * operation): what changed, why, and what comes next. It only reads the API, so what it says is what a user sees.
 */
import { z } from 'zod';

const MeshSchema = z
  .object({
    selector: z.string().nullable(),
    profileState: z.string().nullable(),
    members: z.array(
      z.object({ name: z.string(), meshState: z.string().nullable(), ciliumId: z.number().nullable() }).loose(),
    ),
    lastOperationId: z.string().nullable(),
    trafficManager: z
      .object({
        fqdn: z.string().optional(),
        endpoints: z.array(
          z
            .object({
              name: z.string(),
              member: z.string().optional(),
              weight: z.number(),
              status: z.string(),
              monitorStatus: z.string().nullable(),
            })
            .loose(),
        ),
      })
      .loose()
      .nullable(),
    policy: z.object({ mode: z.string(), debounceSeconds: z.number() }).loose(),
    reconciler: z
      .object({
        runtimeStatus: z.string(),
        status: z
          .object({
            phase: z.string(),
            operationId: z.string().optional(),
            trigger: z.string().optional(),
            cycles: z.number().optional(),
            lastDecision: z.string().nullable().optional(),
          })
          .loose()
          .nullable(),
      })
      .nullable(),
  })
  .loose();

const OperationSchema = z
  .object({
    id: z.string(),
    status: z.string(),
    livePhase: z.string().nullable().optional(),
    plan: z
      .object({
        rows: z.array(z.object({ name: z.string(), action: z.string(), errorMessage: z.string().optional() }).loose()),
        fixes: z.array(z.object({ member: z.string(), scope: z.string() }).loose()).default([]),
        findings: z
          .array(
            z
              .object({ severity: z.string(), checkId: z.string(), message: z.string(), member: z.string().optional() })
              .loose(),
          )
          .default([]),
      })
      .loose()
      .nullable(),
    members: z.array(
      z
        .object({
          member: z.string(),
          outcome: z.string(),
          remediations: z.array(z.object({ step: z.string() }).loose()),
        })
        .loose(),
    ),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .loose();

type Mesh = z.output<typeof MeshSchema>;
type Operation = z.output<typeof OperationSchema>;

const PHASES: Record<string, string> = {
  remediating:
    'Granting Network Contributor on the member VNets that lack it and reconciling those clusters (the runbook fix), before the apply so the 403 never happens.',
  selector: "Writing the profile's member selector.",
  applying: 'Applying the cluster mesh profile (what `az fleet clustermeshprofile apply` does).',
  converging: 'Waiting for every member to reach Connected.',
  traffic: 'Updating the Traffic Manager endpoints of the meshed clusters.',
};

export class Narrator {
  private mesh: Mesh | undefined;
  private readonly operations = new Map<string, Operation>();
  private reconcilerPhase: string | undefined;

  constructor(
    private readonly apiBaseUrl: string,
    private readonly functionKey: string,
    private readonly profile: string,
    private readonly say: (line: string) => void,
  ) {}

  /** Reads the API once and says what changed since the last call. Never throws (the API may still be starting). */
  async tick(): Promise<void> {
    try {
      const mesh = MeshSchema.parse(await this.get(`/meshes/${this.profile}`));
      this.narrateReconciler(mesh);
      const opId = mesh.reconciler?.status?.operationId ?? mesh.lastOperationId;
      const op = opId
        ? OperationSchema.safeParse(await this.get(`/operations/${encodeURIComponent(opId)}`))
        : undefined;
      // Plan and phase first, then what the members and Traffic Manager did, then the operation's verdict.
      const before = op?.success ? this.operations.get(op.data.id) : undefined;
      if (op?.success) this.narratePlanAndPhase(op.data, before);
      this.narrateMembers(mesh);
      this.narrateTraffic(mesh);
      if (op?.success) this.narrateOutcome(op.data, before);
      this.mesh = mesh;
    } catch {
      // Not up yet, or between states: the next tick tries again.
    }
  }

  private async get(route: string): Promise<unknown> {
    const response = await fetch(`${this.apiBaseUrl}${route}`, { headers: { 'x-functions-key': this.functionKey } });
    if (!response.ok) throw new Error(`${route}: ${response.status}`);
    return response.json();
  }

  private narrateReconciler(mesh: Mesh): void {
    const phase = mesh.reconciler?.status?.phase;
    if (!phase || phase === this.reconcilerPhase) return;
    this.reconcilerPhase = phase;
    if (phase === 'debouncing') {
      const why =
        mesh.reconciler?.status?.trigger === 'timer'
          ? 'Resync: looking at the fleet again'
          : 'The fleet changed (an ARM event)';
      this.say(
        `${why}; waiting ${mesh.policy.debounceSeconds}s for it to settle before planning (events are coalesced into one plan).`,
      );
    } else if (phase === 'planning') {
      this.say(
        `Planning mesh '${this.profile}': reading the fleet, the profile and every member's cluster, network and roles.`,
      );
    } else if (phase === 'idle' && mesh.reconciler?.status?.lastDecision === 'nothingToDo') {
      this.say('Looked again: nothing to add or remove, Traffic Manager checked. Waiting for the next change.');
    } else if (phase.startsWith('stopped')) {
      this.say(`Mesh profile '${this.profile}' does not exist; fleetmesh stops watching it until it appears.`);
    }
  }

  private narratePlanAndPhase(op: Operation, before: Operation | undefined): void {
    this.operations.set(op.id, op);
    if (!before && op.plan) {
      const add = op.plan.rows.filter((r) => r.action === 'Add').map((r) => r.name);
      const remove = op.plan.rows.filter((r) => r.action === 'Remove').map((r) => r.name);
      const errors = op.plan.rows.filter((r) => r.action === 'Error');
      const parts = [
        add.length ? `add ${add.join(', ')}` : '',
        remove.length ? `remove ${remove.join(', ')}` : '',
      ].filter(Boolean);
      this.say(`Plan ${op.id}: ${parts.join('; ') || 'no member change'}.`);
      for (const r of errors) this.say(`  ${r.name} cannot join: ${r.errorMessage ?? 'see the plan'}.`);
      for (const f of op.plan.fixes) {
        this.say(
          `  ${f.member}: its cluster identity lacks Network Contributor on ${f.scope.split('/').pop() ?? f.scope}; fleetmesh grants it and reconciles the cluster first.`,
        );
      }
      for (const f of op.plan.findings.filter((x) => x.severity === 'error')) {
        this.say(`  Blocked by preflight (${f.checkId}${f.member ? `, ${f.member}` : ''}): ${f.message}`);
      }
    }
    const phase = op.livePhase ?? undefined;
    if (phase && phase !== before?.livePhase) {
      const key = Object.keys(PHASES).find((k) => phase.startsWith(k));
      if (key) this.say(phase.includes('round') ? `${PHASES[key] ?? ''} (${phase})` : (PHASES[key] ?? phase));
      else if (phase.startsWith('reapplying'))
        this.say(`Re-applying the profile once for every member that was remediated (${phase}).`);
    }
  }

  private narrateOutcome(op: Operation, before: Operation | undefined): void {
    if (op.status !== before?.status) {
      if (op.status === 'AwaitingApproval') {
        this.say(
          `Operation ${op.id} waits for an operator: POST ${this.apiBaseUrl}/operations/${op.id}/approve (or /reject).`,
        );
      } else if (op.status === 'Succeeded') {
        const remediated = op.members.filter((m) =>
          m.remediations.some((r) => r.step === 'grantNetworkContributor' || r.step === 'reconcileCluster'),
        );
        this.say(
          `Operation ${op.id} succeeded${remediated.length ? `; remediated: ${remediated.map((m) => m.member).join(', ')}` : ''}.`,
        );
        this.say(
          'Next: fleetmesh keeps watching the fleet; label another member with the mesh label and it joins on its own.',
        );
      } else if (op.status === 'Failed' || op.status === 'Rejected') {
        this.say(
          `Operation ${op.id} ${op.status.toLowerCase()}: ${op.error?.message ?? 'see GET /api/operations/' + op.id}`,
        );
      }
    }
  }

  private narrateMembers(mesh: Mesh): void {
    for (const m of mesh.members) {
      const was = this.mesh?.members.find((x) => x.name === m.name);
      if (was && was.meshState === m.meshState) continue;
      if (!was && m.meshState === null) continue;
      const state = m.meshState ?? 'out of the mesh';
      this.say(
        `Member ${m.name} is ${state}${m.ciliumId !== null && m.meshState === 'Connected' ? ` (Cilium cluster id ${m.ciliumId})` : ''}.`,
      );
    }
  }

  private narrateTraffic(mesh: Mesh): void {
    for (const e of mesh.trafficManager?.endpoints ?? []) {
      const was = this.mesh?.trafficManager?.endpoints.find((x) => x.name === e.name);
      if (was && was.weight === e.weight && was.status === e.status && was.monitorStatus === e.monitorStatus) continue;
      this.say(
        `Traffic Manager: endpoint for ${e.member ?? e.name} is ${e.status}, weight ${e.weight}${e.monitorStatus ? `, monitor ${e.monitorStatus}` : ''}${mesh.trafficManager?.fqdn ? ` (${mesh.trafficManager.fqdn})` : ''}.`,
      );
    }
  }
}
