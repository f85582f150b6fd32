/**
 * `--output json` errors: one JSON line on stderr, `{"error":{"code","message"},"exitCode"}`, stdout left empty, the
 * exit code unchanged; usage errors too, without commander's text.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../cli/exitCodes.js';
import { jsonRequested } from '../../../cli/program.js';
import { apiError, cli, startFakeApi, type FakeApi } from './support.js';

let api: FakeApi;

beforeEach(async () => {
  api = await startFakeApi();
});

afterEach(async () => {
  await api.close();
});

/** stderr must be exactly one JSON line. */
function jsonErrorOf(stderr: string): unknown {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as unknown;
}

describe('with -o json an error is a JSON object on stderr', () => {
  it("the API's error: its code and message, the exit code", async () => {
    api.on('GET /meshes/nope', apiError(404, 'NotFound', "mesh profile 'nope' does not exist"));
    const r = await cli(api, ['status', 'nope', '-o', 'json']);
    expect(r.code).toBe(ExitCode.NotFound);
    expect(r.stdout).toBe('');
    expect(jsonErrorOf(r.stderr)).toEqual({
      error: { code: 'NotFound', message: "mesh profile 'nope' does not exist (404 NotFound)" },
      exitCode: 4,
    });
  });

  it("passes the API's details on (the current plan of a PlanMismatch)", async () => {
    const details = { currentPlanId: 'c'.repeat(64) };
    api.on('POST /meshes/demo/apply', apiError(409, 'PlanMismatch', 'the fleet changed', details));
    const r = await cli(api, ['--output=json', 'apply', 'demo', '--plan', 'a'.repeat(64)]);
    expect(r.code).toBe(ExitCode.Conflict);
    expect(jsonErrorOf(r.stderr)).toMatchObject({ error: { code: 'PlanMismatch', details }, exitCode: 5 });
  });

  it.each([
    [['status', 'demo'], { FLEETMESH_API_KEY: 'wrong' }, 'FunctionKeyRefused', ExitCode.Auth],
    [['status', 'demo'], { FLEETMESH_API_URL: 'http://127.0.0.1:9/api' }, 'Unreachable', ExitCode.Unreachable],
    [['status', 'demo'], { FLEETMESH_API_URL: 'not a url' }, 'UsageError', ExitCode.Usage],
    [['frobnicate'], {}, 'UsageError', ExitCode.Usage],
    [['plan', 'Demo'], {}, 'UsageError', ExitCode.Usage],
    [['--output', 'json', 'apply', 'demo', '--poll', 'x'], {}, 'UsageError', ExitCode.Usage],
  ])('%j %j → %s, exit %i', async (args, env, code, exit) => {
    const r = await cli(api, ['-o', 'json', ...args], env);
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe('');
    const error = jsonErrorOf(r.stderr);
    expect(error).toMatchObject({ error: { code }, exitCode: exit });
    // Commander's own "error: ..." prefix and help hint are not in the message.
    expect(JSON.stringify(error)).not.toContain('fleetmesh --help');
    expect(JSON.stringify(error)).not.toMatch(/"message":"error: /);
  });

  it('stays text without -o json', async () => {
    api.on('GET /meshes/nope', apiError(404, 'NotFound', 'no such profile'));
    const r = await cli(api, ['status', 'nope']);
    expect(r.stderr).toBe('fleetmesh: no such profile (404 NotFound)\n');
  });
});

describe('jsonRequested', () => {
  it.each([
    [['-o', 'json', 'status', 'x'], true],
    [['status', 'x', '--output', 'json'], true],
    [['status', 'x', '--output=json'], true],
    [['-ojson', 'status', 'x'], true],
    [['-o', 'json', '-o', 'table', 'status', 'x'], false],
    [['status', 'x'], false],
    [['approve', 'x', '--', '-o', 'json'], false],
  ])('%j → %s', (argv, expected) => {
    expect(jsonRequested(argv)).toBe(expected);
  });
});
