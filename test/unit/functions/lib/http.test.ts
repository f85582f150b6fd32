import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authorize, body, caller, errorResponse, params } from '../../../../functions/lib/http.js';
import { AzureApiError } from '../../../../shared/azure/errors.js';
import { ValidationError } from '../../../../shared/errors.js';
import { createLogger } from '../../../../shared/log.js';

const principal = (claims: { typ: string; val: string }[], extra: Record<string, unknown> = {}): string =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', name_typ: 'name', role_typ: 'roles', claims, ...extra })).toString(
    'base64',
  );

function request(
  init: { body?: string; headers?: Record<string, string>; params?: Record<string, string> } = {},
): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/meshes/demo/plan',
    headers: init.headers ?? {},
    params: init.params ?? {},
    ...(init.body === undefined ? {} : { body: { string: init.body } }),
  });
}

const lines: string[] = [];
const logger = createLogger({ sink: (_l, line) => lines.push(line) });
const context = new InvocationContext({ invocationId: 'inv-1', functionName: 'planMesh' });

describe('caller and authorize', () => {
  it('treats a request without a client principal as authorised by its function key', () => {
    expect(caller(request())).toEqual({ name: 'function-key', authenticated: false, roles: [] });
    expect(authorize(request(), 'operator').name).toBe('function-key');
  });

  it('reads name and roles from Easy Auth claims, using role_typ', () => {
    const header = principal([
      { typ: 'name', val: 'alice@contoso.com' },
      { typ: 'roles', val: 'FleetMesh.Operator' },
    ]);
    const who = caller(request({ headers: { 'x-ms-client-principal': header } }));
    expect(who).toEqual({ name: 'alice@contoso.com', authenticated: true, roles: ['FleetMesh.Operator'] });
  });

  it.each([
    ['operator', ['FleetMesh.Operator'], true],
    ['operator', ['FleetMesh.Reader'], false],
    ['reader', ['FleetMesh.Reader'], true],
    ['reader', ['FleetMesh.Operator'], true],
    ['reader', [], false],
    ['reader', ['fleetmesh.reader'], false],
  ] as const)('%s route with roles %j → allowed %s', (need, roles, allowed) => {
    const header = principal([{ typ: 'name', val: 'bob' }, ...roles.map((r) => ({ typ: 'roles', val: r }))]);
    const run = () => authorize(request({ headers: { 'x-ms-client-principal': header } }), need);
    if (allowed) expect(run().name).toBe('bob');
    else expect(run).toThrow(need === 'operator' ? /FleetMesh\.Operator/ : /FleetMesh\.Reader or FleetMesh\.Operator/);
  });

  it('rejects a principal header that is not base64 JSON, or not a principal, with 401', () => {
    for (const header of ['%%%', Buffer.from('[1,2]').toString('base64')]) {
      try {
        caller(request({ headers: { 'x-ms-client-principal': header } }));
        expect.fail('accepted a malformed principal');
      } catch (e) {
        expect(e).toMatchObject({ status: 401 });
      }
    }
  });
});

describe('body and params', () => {
  const schema = z.strictObject({ memberSelector: z.string().optional() });

  it('reads an empty body as {} and a JSON body through the schema', async () => {
    expect(await body(request(), schema)).toEqual({});
    expect(await body(request({ body: '{"memberSelector":"a=b"}' }), schema)).toEqual({ memberSelector: 'a=b' });
  });

  it.each([
    ['{oops', /not valid JSON/],
    ['{"memberSelector": 3}', /'memberSelector'/],
    ['{"extra": true}', /extra/],
    ['[]', /invalid request body/],
  ])('rejects %s naming the problem', async (text, message) => {
    await expect(body(request({ body: text }), schema)).rejects.toThrow(message);
    await expect(body(request({ body: text }), schema)).rejects.toBeInstanceOf(ValidationError);
  });

  it('parses JSON whatever the content type says (curl -d sends form encoding)', async () => {
    expect(
      await body(
        request({ body: '{"memberSelector":"a=b"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        schema,
      ),
    ).toEqual({ memberSelector: 'a=b' });
    await expect(
      body(request({ body: 'memberSelector=a', headers: { 'content-type': 'text/plain' } }), schema),
    ).rejects.toThrow(/not valid JSON/);
  });

  it('validates route parameters', () => {
    const p = z.object({ profile: z.string().regex(/^[a-z]+$/) });
    expect(params(request({ params: { profile: 'demo' } }), p)).toEqual({ profile: 'demo' });
    expect(() => params(request({ params: { profile: 'Bad!' } }), p)).toThrow(/invalid route parameter: 'profile'/);
  });
});

describe('errorResponse', () => {
  it('answers a 4xx with the error itself, ARM-shaped', () => {
    const r = errorResponse(new ValidationError('bad selector', { details: ['x'] }), logger, context);
    expect(r).toEqual({
      status: 400,
      jsonBody: { error: { code: 'ValidationFailed', message: 'bad selector', details: ['x'] } },
    });
  });

  it('answers an ARM 4xx that reached it with that status', () => {
    const e = new AzureApiError({
      statusCode: 404,
      armCode: 'ResourceNotFound',
      message: 'gone',
      operation: 'fleetMembers.get',
    });
    expect(errorResponse(e, logger, context).status).toBe(404);
  });

  it('hides internals of a 5xx and points at the invocation', () => {
    const r = errorResponse(new Error('secret stack detail'), logger, context);
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.jsonBody)).not.toContain('secret stack detail');
    expect(JSON.stringify(r.jsonBody)).toContain('inv-1');
    expect(lines.some((l) => l.includes('secret stack detail'))).toBe(true);
  });

  it('answers 502 for an Azure failure that is not the caller’s fault', () => {
    const e = new AzureApiError({
      statusCode: 503,
      armCode: 'ServiceUnavailable',
      message: 'busy',
      operation: 'meshProfiles.apply',
    });
    const r = errorResponse(e, logger, context);
    expect(r.status).toBe(502);
    expect(JSON.stringify(r.jsonBody)).toContain('meshProfiles.apply');
  });
});
