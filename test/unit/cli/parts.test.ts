/** The command line's pure parts: connection resolution, exit-code mapping, colour choice, progress arithmetic. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseChallenge, roleNeeded } from '../../../cli/api.js';
import { normaliseBaseUrl, resolveConnection, scopeFor } from '../../../cli/config.js';
import { CliError, ExitCode, exitCodeForStatus } from '../../../cli/exitCodes.js';
import { applyFlags, parseWeight } from '../../../cli/commands/policy.js';
import { exitCodeFor } from '../../../cli/commands/apply.js';
import { changes, progressOf, textBar } from '../../../cli/progress.js';
import { shellQuote } from '../../../cli/render/plan.js';
import { colourWanted, createStyle } from '../../../cli/render/style.js';
import { OperationSchema } from '../../../cli/schemas.js';
import { operationBody } from './support.js';

function sandboxDir(facts: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-cli-'));
  mkdirSync(path.join(dir, '.fleetmesh'));
  writeFileSync(
    path.join(dir, '.fleetmesh', 'sandbox.json'),
    typeof facts === 'string' ? facts : JSON.stringify(facts),
  );
  return dir;
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliError && e.exitCode === ExitCode.Usage) return e.message;
    throw e;
  }
  throw new Error('expected a usage error');
}

describe('resolveConnection', () => {
  const sandbox = { apiBaseUrl: 'http://127.0.0.1:7071/api/', functionKey: 'sbx' };

  it('prefers the flag, then the environment, then the sandbox facts', () => {
    const dir = sandboxDir(sandbox);
    const env = { FLEETMESH_API_URL: 'https://app.example/api', FLEETMESH_API_KEY: 'env-key' };
    expect(resolveConnection({ baseUrl: 'http://flag/api', key: 'flag-key' }, env, dir)).toEqual({
      baseUrl: 'http://flag/api',
      key: 'flag-key',
      source: 'flag',
    });
    expect(resolveConnection({}, env, dir)).toEqual({
      baseUrl: 'https://app.example/api',
      key: 'env-key',
      source: 'environment',
    });
    expect(resolveConnection({}, {}, dir)).toEqual({
      baseUrl: 'http://127.0.0.1:7071/api',
      key: 'sbx',
      source: 'sandbox',
    });
  });

  it("uses the sandbox's key only with the sandbox's URL", () => {
    const dir = sandboxDir(sandbox);
    expect(resolveConnection({ baseUrl: 'https://elsewhere/api' }, {}, dir).key).toBeUndefined();
    expect(resolveConnection({}, { FLEETMESH_API_URL: 'https://elsewhere/api' }, dir).key).toBeUndefined();
    // An explicit key still goes with the sandbox URL.
    expect(resolveConnection({ key: 'mine' }, {}, dir).key).toBe('mine');
  });

  it('names what is missing or broken', () => {
    expect(usageError(() => resolveConnection({}, {}, tmpdir()))).toContain('no API URL: pass --base-url');
    expect(usageError(() => resolveConnection({}, {}, sandboxDir('{not json')))).toContain('sandbox.json is not JSON');
    expect(usageError(() => resolveConnection({}, {}, sandboxDir({ apiBaseUrl: 'x' })))).toContain(
      'has no apiBaseUrl and functionKey',
    );
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['localhost:7071/api', 'must be an http or https URL'],
    ['ftp://host/api', 'must be an http or https URL'],
    ['http://host/api?code=secret', 'must not carry a query'],
    ['http://user:pw@host/api', 'must not carry a query, fragment or credentials'],
  ])('rejects the base URL %s', (url, message) => {
    expect(usageError(() => normaliseBaseUrl(url, '--base-url'))).toContain(message);
  });

  it('drops trailing slashes', () => {
    expect(normaliseBaseUrl('http://h:1/api//', 'x')).toBe('http://h:1/api');
  });

  it('takes a bearer token (flag, then environment) over an audience (flag, then environment)', () => {
    const url = { baseUrl: 'https://app.example/api' };
    expect(resolveConnection({ ...url, token: 't1' }, { FLEETMESH_API_TOKEN: 't2' }, tmpdir()).auth).toEqual({
      kind: 'token',
      token: 't1',
      from: '--token',
    });
    expect(resolveConnection({ ...url, audience: 'a' }, { FLEETMESH_API_TOKEN: 'Bearer t2' }, tmpdir()).auth).toEqual({
      kind: 'token',
      token: 't2',
      from: 'FLEETMESH_API_TOKEN',
    });
    expect(resolveConnection(url, { FLEETMESH_API_AUDIENCE: 'api://app/' }, tmpdir()).auth).toEqual({
      kind: 'audience',
      audience: 'api://app/',
      scope: 'api://app/.default',
      from: 'FLEETMESH_API_AUDIENCE',
    });
    expect(resolveConnection(url, {}, tmpdir()).auth).toBeUndefined();
  });

  it('sends a token only over https or to this machine, and refuses what cannot be a token', () => {
    const token = { token: 't' };
    expect(resolveConnection({ ...token, baseUrl: 'http://localhost:7071/api' }, {}, tmpdir()).auth?.kind).toBe(
      'token',
    );
    expect(resolveConnection({ ...token, baseUrl: 'http://[::1]:7071/api' }, {}, tmpdir()).auth?.kind).toBe('token');
    expect(usageError(() => resolveConnection({ ...token, baseUrl: 'http://app.example/api' }, {}, tmpdir()))).toBe(
      '--token: a bearer token is only sent over https (or to localhost), not to http://app.example; use the ' +
        "app's https URL",
    );
    expect(
      usageError(() => resolveConnection({ baseUrl: 'https://a/api', token: 'two words' }, {}, tmpdir())),
    ).toContain('--token: not a bearer token');
    expect(usageError(() => scopeFor('a b', '--audience'))).toContain('one client id or application id URI');
    expect(scopeFor('11111111-2222-3333-4444-555555555555', 'x')).toBe('11111111-2222-3333-4444-555555555555/.default');
    expect(scopeFor('api://app/.default', 'x')).toBe('api://app/.default');
  });
});

describe('parseChallenge', () => {
  it('reads the Bearer challenge of App Service authentication, with or without commas', () => {
    expect(parseChallenge('Bearer realm="r" resource_id="app", error="invalid_token"')).toEqual({
      bearer: true,
      params: { realm: 'r', resource_id: 'app', error: 'invalid_token' },
    });
    expect(parseChallenge('Basic realm="x"').bearer).toBe(false);
    expect(parseChallenge(null)).toEqual({ bearer: false, params: {} });
  });

  it('names the role a call needs', () => {
    expect(roleNeeded('GET', '/meshes/demo')).toBe('FleetMesh.Reader (or FleetMesh.Operator)');
    expect(roleNeeded('POST', '/meshes/demo/plan')).toBe('FleetMesh.Reader (or FleetMesh.Operator)');
    expect(roleNeeded('PUT', '/meshes/demo/policy')).toBe('FleetMesh.Operator');
  });
});

describe('exit codes', () => {
  it.each([
    [400, ExitCode.Usage],
    [415, ExitCode.Usage],
    [401, ExitCode.Auth],
    [403, ExitCode.Auth],
    [404, ExitCode.NotFound],
    [409, ExitCode.Conflict],
    [412, ExitCode.Conflict],
    [429, ExitCode.ApiError],
    [500, ExitCode.ApiError],
    [502, ExitCode.ApiError],
  ])('HTTP %i → %i', (status, code) => {
    expect(exitCodeForStatus(status)).toBe(code);
  });

  it.each([
    ['Succeeded', 0],
    ['Recorded', 0],
    ['Failed', 1],
    ['Rejected', 1],
  ] as const)('operation %s → %i', (status, code) => {
    expect(exitCodeFor({ status })).toBe(code);
  });

  it('are distinct', () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('colour', () => {
  it('is on for a terminal unless NO_COLOR, and FORCE_COLOR turns it on', () => {
    expect(colourWanted(true, {})).toBe(true);
    expect(colourWanted(false, {})).toBe(false);
    expect(colourWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted(true, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted(false, { FORCE_COLOR: '1' })).toBe(true);
  });

  it('keeps the word when it colours a state', () => {
    const s = createStyle(true);
    expect(s.state('Connected')).toContain('Connected');
    expect(s.state('Connected')).not.toBe('Connected');
    expect(createStyle(false).state('Failed')).toBe('Failed');
  });
});

describe('policy flags', () => {
  const none = { weight: [], clearWeight: [] };

  it('changes only what the flags name and leaves the base untouched', () => {
    const base = { mode: 'auto', debounceSeconds: 30, convergence: { pollIntervalSeconds: 1 } };
    const next = applyFlags(base, { ...none, mode: 'manual', allowRemovals: false }, []);
    expect(next).toEqual({
      mode: 'manual',
      allowRemovals: false,
      debounceSeconds: 30,
      convergence: { pollIntervalSeconds: 1 },
    });
    expect(base.mode).toBe('auto');
  });

  it('parses member=weight', () => {
    expect(parseWeight('member-east=0')).toEqual(['member-east', 0]);
    expect(parseWeight(' member-east=1000 ')).toEqual(['member-east', 1000]);
    for (const bad of ['=3', 'Member=3', 'm=-1', 'm=1.5', 'm=']) {
      expect(usageError(() => parseWeight(bad))).toContain('--weight');
    }
  });
});

describe('shellQuote', () => {
  it.each([
    ['mesh=demo,region=east', 'mesh=demo,region=east'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
  ])('%j → %s', (text, quoted) => {
    expect(shellQuote(text)).toBe(quoted);
  });
});

describe('progress', () => {
  const op = (overrides: Record<string, unknown>) => OperationSchema.parse(operationBody(overrides));

  it('counts members done out of members to add or remove, live progress over the record', () => {
    const snap = progressOf(
      op({
        status: 'Running',
        livePhase: 'converging',
        members: [],
        plan: {
          rows: [
            { name: 'a', action: 'Add' },
            { name: 'b', action: 'Remove' },
            { name: 'c', action: 'None' },
          ],
        },
        progress: [
          { member: 'a', outcome: 'Succeeded', meshState: 'Connected' },
          { member: 'b', outcome: 'converging', meshState: 'Disconnecting', step: 'watching' },
        ],
      }),
    );
    expect(snap).toMatchObject({ total: 2, done: 1, phase: 'converging' });
    expect(snap.members.map((m) => [m.member, m.step])).toEqual([
      ['a', undefined],
      ['b', 'watching'],
    ]);
  });

  it('counts a repair: the Failed members the apply brings back to Connected are its work', () => {
    const snap = progressOf(
      op({
        status: 'Running',
        livePhase: 'converging',
        members: [],
        plan: {
          rows: [
            { name: 'a', action: 'None', meshState: 'Connected', clusterResourceId: '/c/a' },
            { name: 'b', action: 'None', meshState: 'Failed', clusterResourceId: '/c/b' },
            { name: 'c', action: 'None', meshState: 'Failed', clusterResourceId: '/c/c' },
          ],
        },
        progress: [
          { member: 'b', outcome: 'connected', meshState: 'Connected' },
          { member: 'c', outcome: 'converging', meshState: 'Failed', step: 'grantNetworkContributor' },
        ],
      }),
    );
    expect(snap).toMatchObject({ total: 2, done: 1 });
  });

  it('counts the members a convergence batch reports finished', () => {
    const snap = progressOf(
      op({
        status: 'Running',
        members: [],
        progress: [
          { member: 'member-east', outcome: 'connected', meshState: 'Connected' },
          { member: 'member-west', outcome: 'needsReapply', meshState: 'Failed' },
        ],
      }),
    );
    expect(snap).toMatchObject({ total: 2, done: 1 });
  });

  it('has no total until the plan is recorded', () => {
    expect(progressOf(op({ status: 'Pending', plan: null, members: [] })).total).toBeUndefined();
  });

  it('reports only what changed', () => {
    const s = createStyle(false);
    const first = progressOf(op({ status: 'Running', livePhase: 'applying', members: [], progress: [] }));
    const second = progressOf(
      op({
        status: 'Running',
        livePhase: 'applying',
        members: [],
        progress: [{ member: 'a', outcome: 'converging', meshState: 'Connecting', step: 'diagnose' }],
      }),
    );
    expect(changes(undefined, first, s)).toEqual([
      'status Running',
      'phase applying',
      '  fix before the apply: member-west: grantNetworkContributor on vnet-west, then reconcileCluster',
    ]);
    expect(changes(first, second, s)).toEqual(['  a: converging, mesh state Connecting, step diagnose']);
    expect(changes(second, second, s)).toEqual([]);
  });

  it('draws a text bar', () => {
    expect(textBar(0, 4, 8)).toBe('[........]');
    expect(textBar(1, 4, 8)).toBe('[##......]');
    expect(textBar(4, 4, 8)).toBe('[########]');
    expect(textBar(0, 0, 4)).toBe('[####]');
  });
});
