/** `approve` / `reject`: answer an apply that waits for approval. */
import { path } from '../api.js';
import { CliError, ExitCode } from '../exitCodes.js';
import { AnswerResponseSchema } from '../schemas.js';
import { print, type CommandContext } from './context.js';

export const MAX_COMMENT_LENGTH = 1024;

export async function answerCommand(
  ctx: CommandContext,
  decision: 'approve' | 'reject',
  id: string,
  options: { comment?: string | undefined },
): Promise<number> {
  if (options.comment !== undefined && options.comment.length > MAX_COMMENT_LENGTH) {
    throw new CliError(
      ExitCode.Usage,
      `--comment is ${options.comment.length} characters; at most ${MAX_COMMENT_LENGTH} are kept`,
    );
  }
  const { data } = await ctx.client.request('POST', path('operations', id, decision), AnswerResponseSchema, {
    body: options.comment === undefined ? {} : { comment: options.comment },
  });
  print(
    ctx,
    data,
    () =>
      `${decision === 'approve' ? 'Approved' : 'Rejected'} ${data.operationId} as ${data.by}.` +
      (decision === 'approve' ? ` Follow it with: fleetmesh operation ${data.operationId} --wait` : ''),
  );
  return ExitCode.Ok;
}
