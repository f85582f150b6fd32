/**
 * The `fleetmesh` command line: parses arguments with commander, calls the API, prints a table or JSON, and returns
 * the exit code (see exitCodes.ts). `runCli` never calls `process.exit`, so tests run it in-process.
 */
import { existsSync, readFileSync } from 'node:fs';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { ApiClient } from './api.js';
import { applyCommand, operationCommand } from './commands/apply.js';
import { answerCommand } from './commands/answer.js';
import { meshesCommand, planCommand, statusCommand } from './commands/read.js';
import { policyCommand } from './commands/policy.js';
import type { CommandContext } from './commands/context.js';
import { resolveConnection } from './config.js';
import { CliError, EXIT_CODE_NAMES, ExitCode } from './exitCodes.js';
import type { Io } from './io.js';
import { colourWanted, createStyle } from './render/style.js';

const GlobalOptionsSchema = z.object({
  output: z.enum(['table', 'json']),
  baseUrl: z.string().optional(),
  key: z.string().optional(),
  token: z.string().optional(),
  audience: z.string().optional(),
  requestTimeout: z.number().positive(),
});

/** Mesh profile names as ARM allows them (checked here so a typo is a usage error, not a round trip). */
const PROFILE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** `{profile}.{unique}` as the API issues operation ids. */
const OPERATION = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.[A-Za-z0-9_-]{1,100}$/;

export function profileArgument(value: string): string {
  if (!PROFILE.test(value)) {
    throw new InvalidArgumentError(`'${value}' is not a mesh profile name (lower-case letters, digits and '-', 1-63)`);
  }
  return value;
}

export function operationArgument(value: string): string {
  if (!OPERATION.test(value)) {
    throw new InvalidArgumentError(`'${value}' is not an operation id (<profile>.<id>, as 'apply' prints it)`);
  }
  return value;
}

export function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${name} must be a positive number, not '${value}'`);
    }
    return n;
  };
}

export function nonNegativeNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
      throw new InvalidArgumentError(`${name} must be a number of at least 0, not '${value}'`);
    }
    return n;
  };
}

export function buildProgram(
  io: Io,
  run: (action: (ctx: CommandContext) => Promise<number>, cmd: Command) => Promise<void>,
  options: { readonly jsonErrors?: boolean } = {},
): Command {
  const program = new Command('fleetmesh')
    .description(
      'Operate fleetmesh: plan and apply cluster meshes of an Azure Kubernetes Fleet, follow operations, approve ' +
        'or reject applies, and set a mesh policy. API: --base-url or FLEETMESH_API_URL, key: --key or ' +
        'FLEETMESH_API_KEY; without them, .fleetmesh/sandbox.json (written by npm start) is used. Behind App ' +
        'Service authentication (Azure) also a bearer token: --token or FLEETMESH_API_TOKEN, or --audience or ' +
        'FLEETMESH_API_AUDIENCE to get one from your Azure sign-in.',
    )
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--base-url <url>', 'API root, e.g. http://localhost:7071/api (env FLEETMESH_API_URL)')
    .option('--key <key>', 'function key (env FLEETMESH_API_KEY; prefer the environment: flags show in ps)')
    .option(
      '--token <token>',
      'Microsoft Entra bearer token for App Service authentication (env FLEETMESH_API_TOKEN; prefer the environment)',
    )
    .option(
      '--audience <app-id>',
      "get the bearer token from your Azure sign-in (az login, ...) for <app-id>/.default, the app registration's " +
        'client id or api:// URI (env FLEETMESH_API_AUDIENCE)',
    )
    .option('--request-timeout <seconds>', 'per-request timeout', positiveNumber('--request-timeout'), 30)
    .configureOutput({
      writeOut: (text) => {
        io.stdout.write(text);
      },
      writeErr: (text) => {
        io.stderr.write(text);
      },
      // With -o json the error is reported once, as JSON, by runCli (help after an error is left out too).
      ...(options.jsonErrors === true ? { outputError: () => undefined } : {}),
    })
    .exitOverride()
    .showHelpAfterError(options.jsonErrors === true ? false : '(fleetmesh --help lists the commands and options)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 operation failed or rejected, 2 usage error, 3 key or token refused or role missing,\n' +
        '4 not found, 5 conflict (plan mismatch, not awaiting approval, policy changed), 6 API unreachable,\n' +
        '7 API error, 8 --wait timed out. With -o json an error is one JSON line on stderr:\n' +
        '{"error":{"code","message"},"exitCode"}. Details: docs/operator.md.',
    );

  program
    .command('meshes')
    .description("list the fleet's cluster mesh profiles")
    .action(async (_opts: unknown, cmd: Command) => run((ctx) => meshesCommand(ctx), cmd));

  program
    .command('plan')
    .description('what an apply would do: members to add and remove, preflight findings, Traffic Manager changes')
    .argument('<profile>', 'mesh profile name', profileArgument)
    .option('--selector <selector>', "plan a new member selector (k=v,...; '' selects nothing)")
    .action(async (profile: string, _opts: unknown, cmd: Command) =>
      run((ctx) => planCommand(ctx, profile, z.object({ selector: z.string().optional() }).parse(cmd.opts())), cmd),
    );

  program
    .command('apply')
    .description('start an apply of the mesh; with --wait, follow it to the end')
    .argument('<profile>', 'mesh profile name', profileArgument)
    .option('--plan <planId>', 'apply exactly this plan (from fleetmesh plan); 409 if the fleet changed since')
    .option('--selector <selector>', "set this member selector (creates the profile if needed; '' selects nothing)")
    .option('--wait', 'follow the operation, member by member, until it ends')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 8)', positiveNumber('--timeout'))
    .option('--poll <seconds>', 'with --wait: seconds between status reads', positiveNumber('--poll'), 1)
    .action(async (profile: string, _opts: unknown, cmd: Command) =>
      run((ctx) => applyCommand(ctx, profile, ApplyOptionsSchema.parse(cmd.opts())), cmd),
    );

  program
    .command('operation')
    .description('show an operation (its members, remediations, approvals); with --wait, follow it to the end')
    .argument('<operation>', 'operation id', operationArgument)
    .option('--wait', 'follow the operation until it ends')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 8)', positiveNumber('--timeout'))
    .option('--poll <seconds>', 'with --wait: seconds between status reads', positiveNumber('--poll'), 1)
    .action(async (id: string, _opts: unknown, cmd: Command) =>
      run((ctx) => operationCommand(ctx, id, WaitOptionsSchema.parse(cmd.opts())), cmd),
    );

  program
    .command('status')
    .description(
      'the mesh now: members with mesh state and Cilium id, Traffic Manager endpoints, policy, last operation',
    )
    .argument('<profile>', 'mesh profile name', profileArgument)
    .action(async (profile: string, _opts: unknown, cmd: Command) => run((ctx) => statusCommand(ctx, profile), cmd));

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} an apply that is waiting for approval`)
      .argument('<operation>', 'operation id (fleetmesh status <profile> shows it)', operationArgument)
      .option('--comment <text>', 'why (kept on the operation, at most 1024 characters)')
      .action(async (id: string, _opts: unknown, cmd: Command) =>
        run(
          (ctx) => answerCommand(ctx, decision, id, z.object({ comment: z.string().optional() }).parse(cmd.opts())),
          cmd,
        ),
      );
  }

  program
    .command('policy')
    .description('show the mesh policy, or change it: the flags are applied to the current policy (or to --file)')
    .argument('<profile>', 'mesh profile name', profileArgument)
    .addOption(new Option('--mode <mode>', 'when plans are applied').choices(['auto', 'approve', 'manual']))
    .option('--allow-removals', 'under auto, apply removals without approval')
    .option('--no-allow-removals', 'under auto, removals wait for approval')
    .option('--debounce <seconds>', 'coalesce events for this long (0-300)', nonNegativeNumber('--debounce'))
    .option(
      '--approval-timeout <hours>',
      'reject an apply not answered within this long',
      positiveNumber('--approval-timeout'),
    )
    .option(
      '--weight <member=weight>',
      'Traffic Manager weight of a member (0-1000, 0 excludes it; repeatable)',
      collect,
      [],
    )
    .option('--clear-weight <member>', 'drop a member weight override (repeatable)', collect, [])
    .option('--file <policy.json>', 'start from this policy instead of the current one (full replace)')
    .option(
      '--if-match <etag>',
      'replace only if the stored policy still has this ETag (from an earlier policy change)',
    )
    .action(async (profile: string, _opts: unknown, cmd: Command) =>
      run((ctx) => policyCommand(ctx, profile, PolicyOptionsSchema.parse(cmd.opts())), cmd),
    );

  return program;
}

const WaitOptionsSchema = z.object({
  wait: z.boolean().optional(),
  timeout: z.number().optional(),
  poll: z.number(),
});
const ApplyOptionsSchema = WaitOptionsSchema.extend({ plan: z.string().optional(), selector: z.string().optional() });
export type ApplyOptions = z.output<typeof ApplyOptionsSchema>;
export type WaitOptions = z.output<typeof WaitOptionsSchema>;

const PolicyOptionsSchema = z.object({
  mode: z.enum(['auto', 'approve', 'manual']).optional(),
  allowRemovals: z.boolean().optional(),
  debounce: z.number().optional(),
  approvalTimeout: z.number().optional(),
  weight: z.array(z.string()),
  clearWeight: z.array(z.string()),
  file: z.string().optional(),
  ifMatch: z.string().optional(),
});
export type PolicyOptions = z.output<typeof PolicyOptionsSchema>;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs the command line; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  // Known before parsing, so that even a usage error is reported as JSON when JSON was asked for.
  const json = jsonRequested(argv);
  const run = async (action: (ctx: CommandContext) => Promise<number>, cmd: Command): Promise<void> => {
    const globals = GlobalOptionsSchema.parse(cmd.optsWithGlobals());
    const connection = resolveConnection(
      { baseUrl: globals.baseUrl, key: globals.key, token: globals.token, audience: globals.audience },
      io.env,
      io.cwd,
    );
    const client = new ApiClient(connection, {
      timeoutMs: globals.requestTimeout * 1000,
      ...(io.credential === undefined ? {} : { credential: io.credential }),
    });
    const ctx: CommandContext = {
      client,
      io,
      output: globals.output,
      style: createStyle(colourWanted(io.stdout.isTTY, io.env)),
      errStyle: createStyle(colourWanted(io.stderr.isTTY, io.env)),
    };
    exitCode = await action(ctx);
  };
  const program = buildProgram(io, run, { jsonErrors: json });
  const fail = (code: ExitCode, errorCode: string, message: string, details?: unknown): number => {
    io.stderr.write(
      json ? `${JSON.stringify(jsonError(code, errorCode, message, details))}\n` : `fleetmesh: ${message}\n`,
    );
    return code;
  };
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version "errors" are the normal end of --help and --version.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        return ExitCode.Ok;
      }
      // Commander has printed its message already unless JSON was asked for.
      return json
        ? fail(ExitCode.Usage, EXIT_CODE_NAMES[ExitCode.Usage], e.message.replace(/^error: /, ''))
        : ExitCode.Usage;
    }
    if (e instanceof CliError) return fail(e.exitCode, e.code, e.message, e.details);
    // A bug: the stack helps in text; a JSON consumer gets the message.
    const what = e instanceof Error ? (json ? e.message : (e.stack ?? e.message)) : String(e);
    return fail(ExitCode.Internal, 'InternalError', `internal error: ${what}`);
  }
}

/** The JSON error of `--output json`: one line on stderr, so stdout holds results only. */
export interface JsonError {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
  readonly exitCode: number;
}

export function jsonError(exitCode: number, code: string, message: string, details?: unknown): JsonError {
  return { error: { code, message, ...(details === undefined ? {} : { details }) }, exitCode };
}

/** Whether the arguments ask for `--output json` (`-o json`, `-ojson`, `--output json`, `--output=json`; the last wins). */
export function jsonRequested(argv: readonly string[]): boolean {
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (arg === '-o' || arg === '--output') format = argv[++i];
    else if (arg.startsWith('--output=')) format = arg.slice('--output='.length);
    else if (/^-o[^-]/.test(arg)) format = arg.slice(2);
  }
  return format === 'json';
}

function packageVersion(): string {
  for (let dir = nodePath.dirname(fileURLToPath(import.meta.url)); ; dir = nodePath.dirname(dir)) {
    const file = nodePath.join(dir, 'package.json');
    if (existsSync(file)) {
      const parsed = z
        .looseObject({ name: z.string(), version: z.string() })
        .safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success && parsed.data.name === 'fleetmesh') return parsed.data.version;
    }
    if (nodePath.dirname(dir) === dir) return '0.0.0';
  }
}
