/** `apply` (start an apply, optionally follow it) and `operation` (show one, optionally follow it). */
import { path } from '../api.js';
import { ExitCode } from '../exitCodes.js';
import type { ApplyOptions, WaitOptions } from '../program.js';
import { watchOperation } from '../progress.js';
import { renderOperation } from '../render/operation.js';
import { ApplyResponseSchema, OperationSchema, type Operation } from '../schemas.js';
import { print, type CommandContext } from './context.js';

export async function applyCommand(ctx: CommandContext, profile: string, options: ApplyOptions): Promise<number> {
  const body = {
    ...(options.plan === undefined ? {} : { planId: options.plan }),
    ...(options.selector === undefined ? {} : { memberSelector: options.selector }),
  };
  const { data } = await ctx.client.request('POST', path('meshes', profile, 'apply'), ApplyResponseSchema, { body });
  if (options.wait !== true) {
    print(
      ctx,
      data,
      () =>
        `Apply started: operation ${data.operationId}\nFollow it with: fleetmesh operation ${data.operationId} --wait`,
    );
    return ExitCode.Ok;
  }
  ctx.io.stderr.write(`Apply started: operation ${data.operationId}\n`);
  return follow(ctx, data.operationId, options);
}

export async function operationCommand(ctx: CommandContext, id: string, options: WaitOptions): Promise<number> {
  if (options.wait === true) return follow(ctx, id, options);
  const { data } = await ctx.client.request('GET', path('operations', id), OperationSchema);
  print(ctx, data, () => renderOperation(data, ctx.style));
  return ExitCode.Ok;
}

async function follow(ctx: CommandContext, id: string, options: WaitOptions): Promise<number> {
  const op = await watchOperation(ctx.client, id, {
    out: ctx.io.stderr,
    style: ctx.errStyle,
    intervalMs: options.poll * 1000,
    ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout * 1000 }),
  });
  print(ctx, op, () => renderOperation(op, ctx.style));
  return exitCodeFor(op);
}

/** Succeeded and Recorded are the operation doing what it should; Failed and Rejected are not. */
export function exitCodeFor(op: Pick<Operation, 'status'>): number {
  return op.status === 'Failed' || op.status === 'Rejected' ? ExitCode.OperationFailed : ExitCode.Ok;
}
