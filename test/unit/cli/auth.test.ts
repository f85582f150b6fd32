/**
 * Authentication against an Azure deployment, in-process against the fake API on loopback with App Service
 * authentication (Easy Auth) in front of it: the bearer token (`--token`, `FLEETMESH_API_TOKEN`, or one got for
 * `--audience`) is sent and never shown; a 401 says whether sign-in or the function key failed; a 403 names the role.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../cli/exitCodes.js';
import { apiError, cli, KEY, meshBody, operationBody, startFakeApi, type FakeApi } from './support.js';

const TOKEN = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJhcGk6Ly9mbGVldG1lc2gifQ.c2lnbmF0dXJl';
const APP_ID = '6f1c2d3e-0000-4000-8000-00000000abcd';
const CHALLENGE =
  `Bearer realm="fleetmesh-prod.azurewebsites.net" ` +
  `authorization_uri="https://login.microsoftonline.com/tenant/oauth2/v2.0/authorize" resource_id="${APP_ID}"`;
const PAGE = 'You do not have permission to view this directory or page.';

let api: FakeApi | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function easyAuthApi(
  options: { challenge?: string; page?: string } = { challenge: CHALLENGE },
): Promise<FakeApi> {
  api = await startFakeApi({ easyAuth: { token: TOKEN, ...options } });
  api.on('GET /meshes/demo', { status: 200, body: meshBody() });
  api.on('GET /operations/demo.op-1', { status: 200, body: operationBody() });
  return api;
}

/** A credential that hands out tokens and records what it was asked for. */
function fakeCredential(expiresInMs = 3_600_000): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken: (scope: string | string[]): Promise<AccessToken> => {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + expiresInMs });
    },
  };
}

function expectNoToken(r: { stdout: string; stderr: string }): void {
  expect(r.stdout).not.toContain(TOKEN);
  expect(r.stderr).not.toContain(TOKEN);
  expect(r.stderr).not.toContain(TOKEN.slice(0, 20));
}

describe('a bearer token given', () => {
  it('--token goes in Authorization: Bearer next to the function key, and is never printed', async () => {
    const fake = await easyAuthApi();
    const r = await cli(fake, ['status', 'demo', '--token', TOKEN]);
    expect(r.code, r.stderr).toBe(ExitCode.Ok);
    expect(fake.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expect(fake.requests[0]?.headers['x-functions-key']).toBe(KEY);
    expectNoToken(r);
  });

  it('FLEETMESH_API_TOKEN works too, a pasted "Bearer " prefix is dropped, and the flag wins', async () => {
    const fake = await easyAuthApi();
    expect((await cli(fake, ['status', 'demo'], { FLEETMESH_API_TOKEN: `Bearer ${TOKEN}` })).code).toBe(0);
    const r = await cli(fake, ['status', 'demo', '--token', 'from-the-flag'], { FLEETMESH_API_TOKEN: TOKEN });
    expect(r.code).toBe(ExitCode.Auth);
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer from-the-flag');
  });

  it('is never sent over plain http to another machine (exit 2, no request)', async () => {
    const r = await cli(await easyAuthApi(), ['status', 'demo', '--token', TOKEN], {
      FLEETMESH_API_URL: 'http://fleetmesh.example.com/api',
    });
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('--token: a bearer token is only sent over https (or to localhost)');
    expect(api?.requests).toHaveLength(0);
    expectNoToken(r);
  });
});

describe('a token got for --audience', () => {
  it('asks the credential for <audience>/.default once and reuses the token while it is valid', async () => {
    const fake = await easyAuthApi();
    const credential = fakeCredential();
    const r = await cli(fake, ['status', 'demo', '--audience', `api://${APP_ID}`], {}, { credential });
    expect(r.code, r.stderr).toBe(ExitCode.Ok);
    expect(credential.scopes).toEqual([`api://${APP_ID}/.default`]);
    expect(fake.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expectNoToken(r);
  });

  it('renews a token about to expire, and takes FLEETMESH_API_AUDIENCE', async () => {
    const fake = await easyAuthApi();
    const credential = fakeCredential(30_000);
    const r = await cli(fake, ['status', 'demo'], { FLEETMESH_API_AUDIENCE: APP_ID }, { credential });
    expect(r.code, r.stderr).toBe(ExitCode.Ok);
    expect(credential.scopes).toEqual([`${APP_ID}/.default`, `${APP_ID}/.default`]);
  });

  it('a given token wins over an audience', async () => {
    const fake = await easyAuthApi();
    const credential = fakeCredential();
    const r = await cli(fake, ['status', 'demo', '--audience', APP_ID], { FLEETMESH_API_TOKEN: TOKEN }, { credential });
    expect(r.code).toBe(ExitCode.Ok);
    expect(credential.scopes).toEqual([]);
  });

  it('no token to be had is exit 3 naming the scope and how to sign in, before any request', async () => {
    const fake = await easyAuthApi();
    const credential: TokenCredential = {
      getToken: () => Promise.reject(new Error('Azure CLI could not be found.\n  Please run az login.')),
    };
    const r = await cli(fake, ['status', 'demo', '--audience', APP_ID], {}, { credential });
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain(
      `cannot get a bearer token for ${APP_ID}/.default (--audience): Azure CLI could not be found. Please run az login.`,
    );
    expect(r.stderr).toContain("sign in with 'az login'");
    expect(fake.requests).toHaveLength(0);
  });
});

describe('a 401 says who refused', () => {
  it('no token behind App Service authentication: sign-in is needed, not "refused the function key"', async () => {
    const fake = await easyAuthApi();
    const r = await cli(fake, ['status', 'demo']);
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain(
      `the API at ${fake.baseUrl} requires a Microsoft Entra sign-in: App Service authentication answered 401`,
    );
    expect(r.stderr).toContain(`pass --audience ${APP_ID} (or set FLEETMESH_API_AUDIENCE)`);
    expect(r.stderr).toContain('--token or FLEETMESH_API_TOKEN');
    expect(r.stderr).not.toContain('function key');
  });

  it('without a challenge header, the sign-in page (not JSON) still tells it from the host', async () => {
    const r = await cli(await easyAuthApi({ page: PAGE }), ['status', 'demo']);
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain('requires a Microsoft Entra sign-in');
    expect(r.stderr).toContain('pass --audience <app client id>');
  });

  it('a refused token: expired or another audience, with the reason App Service gave, never the token', async () => {
    const fake = await easyAuthApi({
      challenge: `${CHALLENGE}, error="invalid_token", error_description="The token expired"`,
    });
    const r = await cli(fake, ['status', 'demo', '--token', 'an-old-token']);
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain(`App Service authentication at ${new URL(fake.baseUrl).origin} refused`);
    expect(r.stderr).toContain('refused the bearer token from --token (401: The token expired)');
    expect(r.stderr).toContain(`(the app takes tokens for ${APP_ID})`);
    expect(r.stderr).not.toContain('an-old-token');
  });

  it('a token for the wrong audience says which audience the app takes', async () => {
    const fake = await easyAuthApi();
    const credential: TokenCredential = {
      getToken: () => Promise.resolve({ token: 'for-another-app', expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const r = await cli(fake, ['status', 'demo', '--audience', 'api://another-app'], {}, { credential });
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain('refused the token for api://another-app/.default (--audience, 401)');
    expect(r.stderr).toContain(`the app takes tokens for ${APP_ID}; pass --audience ${APP_ID}`);
  });

  it('the token accepted but the key refused: the host answered, so it is the function key', async () => {
    const r = await cli(await easyAuthApi(), ['status', 'demo', '--token', TOKEN], { FLEETMESH_API_KEY: 'wrong' });
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain('refused the function key (401 Unauthorized): check --key or FLEETMESH_API_KEY');
    expectNoToken(r);
  });
});

describe('a 403 names the app role', () => {
  it.each([
    [['status', 'demo'], 'GET /meshes/demo', 'FleetMesh.Reader (or FleetMesh.Operator)'],
    [['plan', 'demo'], 'POST /meshes/demo/plan', 'FleetMesh.Reader (or FleetMesh.Operator)'],
    [['apply', 'demo'], 'POST /meshes/demo/apply', 'FleetMesh.Operator'],
    [['approve', 'demo.op-1'], 'POST /operations/demo.op-1/approve', 'FleetMesh.Operator'],
  ])('%j from the API: its message and the role to assign', async (args, route, role) => {
    const fake = await easyAuthApi();
    fake.on(route, apiError(403, 'Forbidden', 'this route needs the app role FleetMesh.Operator'));
    const r = await cli(fake, [...args, '--token', TOKEN]);
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain('this route needs the app role FleetMesh.Operator (403 Forbidden)');
    expect(r.stderr).toContain(`ask an administrator to assign ${role} to you`);
    expect(r.stderr).toContain('then get a new token');
  });

  it('a bare 403 (not from the API) still names the role the call needs', async () => {
    const fake = await easyAuthApi();
    fake.on('PUT /meshes/demo/policy', { status: 403, raw: '' });
    fake.on('GET /meshes/demo', { status: 200, body: meshBody() });
    const r = await cli(fake, ['policy', 'demo', '--mode', 'approve', '--token', TOKEN]);
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain(
      `refused PUT /meshes/demo/policy (403 Forbidden): it needs the app role FleetMesh.Operator`,
    );
  });
});
