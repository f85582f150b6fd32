/** Read commands: `meshes`, `plan` (read-only: the what-if has no side effects), `status`. */
import { z } from 'zod';
import { path } from '../api.js';
import { CliError, ExitCode } from '../exitCodes.js';
import { renderPlan } from '../render/plan.js';
import { renderStatus } from '../render/status.js';
import { table } from '../render/table.js';
import { MeshViewSchema, OperationSchema, PlanResponseSchema, type Operation } from '../schemas.js';
import { print, type CommandContext } from './context.js';

const MeshListSchema = z.looseObject({
  value: z.array(
    z.looseObject({
      profile: z.string(),
      exists: z.boolean(),
      selector: z.string().nullable(),
      profileState: z.string().nullable(),
      members: z.number().nullable(),
      hasPolicy: z.boolean(),
      lastOperationId: z.string().nullable(),
    }),
  ),
});

export async function meshesCommand(ctx: CommandContext): Promise<number> {
  const { data } = await ctx.client.request('GET', '/meshes', MeshListSchema);
  print(ctx, data, () =>
    data.value.length === 0
      ? 'No cluster mesh profiles in this fleet.'
      : table(
          ['Profile', 'State', 'Selector', 'Members', 'Policy', 'LastOperation'],
          data.value.map((m) => [
            m.profile,
            ctx.style.state(m.exists ? (m.profileState ?? 'unknown') : 'deleted'),
            m.selector ?? '',
            m.members ?? '-',
            m.hasPolicy ? 'set' : 'default',
            m.lastOperationId ?? '',
          ]),
        ),
  );
  return ExitCode.Ok;
}

export async function planCommand(
  ctx: CommandContext,
  profile: string,
  options: { selector?: string | undefined },
): Promise<number> {
  const { data } = await ctx.client.request('POST', path('meshes', profile, 'plan'), PlanResponseSchema, {
    body: options.selector === undefined ? {} : { memberSelector: options.selector },
  });
  print(ctx, data, () => renderPlan(data, ctx.style));
  return ExitCode.Ok;
}

export async function statusCommand(ctx: CommandContext, profile: string): Promise<number> {
  const { data: view } = await ctx.client.request('GET', path('meshes', profile), MeshViewSchema);
  let last: Operation | undefined;
  if (view.lastOperationId !== null) {
    try {
      last = (await ctx.client.request('GET', path('operations', view.lastOperationId), OperationSchema)).data;
    } catch (e) {
      // The mesh view is the answer; the last operation only adds to it (it may have been purged).
      if (!(e instanceof CliError && e.exitCode === ExitCode.NotFound)) throw e;
    }
  }
  print(ctx, { ...view, lastOperation: last ?? null }, () => renderStatus(view, last, ctx.style));
  return ExitCode.Ok;
}
