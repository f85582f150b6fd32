import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AzureApiError,
  describeAzureError,
  isConflict,
  isForbidden,
  isNotFound,
  isPreconditionFailed,
  isThrottled,
} from '../../../../shared/azure/errors.js';
import {
  armErrorOf,
  azureErrorFromResponse,
  parseRetryAfterMs,
  toAzureApiError,
} from '../../../../shared/azure/errorMapping.js';
import { InvalidArmResourceError, ValidationError } from '../../../../shared/errors.js';

const ID = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/X.Y/z/n';

function restError(status: number | undefined, body: unknown, headers: Record<string, string> = {}, code?: string) {
  const request = createPipelineRequest({ url: 'https://management.azure.com/x', method: 'GET' });
  return new RestError(`HTTP ${String(status)}`, {
    statusCode: status,
    code,
    request,
    response:
      status === undefined
        ? undefined
        : {
            status,
            headers: createHttpHeaders(headers),
            request,
            bodyAsText: typeof body === 'string' ? body : JSON.stringify(body),
          },
  });
}

describe('toAzureApiError', () => {
  it.each([
    [404, 'ResourceNotFound', isNotFound],
    [403, 'AuthorizationFailed', isForbidden],
    [409, 'RoleAssignmentExists', isConflict],
    [412, 'PreconditionFailed', isPreconditionFailed],
    [429, 'SubscriptionRequestsThrottled', isThrottled],
  ] as const)('maps %i %s from the ARM envelope and its predicate holds', (status, code, predicate) => {
    const mapped = toAzureApiError(
      restError(status, { error: { code, message: `the ${code} message` } }),
      'op.get',
      ID,
    );
    expect(mapped).toBeInstanceOf(AzureApiError);
    expect(mapped).toMatchObject({
      statusCode: status,
      armCode: code,
      message: `the ${code} message`,
      operation: 'op.get',
      resourceId: ID,
    });
    expect(predicate(mapped)).toBe(true);
    expect(describeAzureError(mapped)).toBe(`${status} ${code}`);
  });

  it('reads Retry-After in seconds and as an HTTP date', () => {
    const seconds = toAzureApiError(
      restError(429, { error: { code: 'TooManyRequests' } }, { 'retry-after': '7' }),
      'o',
      ID,
    );
    expect(seconds).toMatchObject({ retryAfterMs: 7000, retryable: true });
    const at = new Date(Date.now() + 60_000).toUTCString();
    const date = toAzureApiError(
      restError(503, { error: { code: 'ServiceUnavailable' } }, { 'retry-after': at }),
      'o',
      ID,
    );
    expect(date).toBeInstanceOf(AzureApiError);
    const ms = date instanceof AzureApiError ? (date.retryAfterMs ?? 0) : 0;
    expect(ms).toBeGreaterThan(50_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it('falls back to the RestError code and message when the body is not an envelope', () => {
    const mapped = toAzureApiError(restError(500, '<html>oops</html>', {}, 'InternalServerError'), 'o', ID);
    expect(mapped).toMatchObject({
      statusCode: 500,
      armCode: 'InternalServerError',
      message: 'HTTP 500',
      retryable: true,
    });
    expect(mapped).toMatchObject({ status: 502, code: 'ArmError' });
  });

  it('gives status 0 when no response arrived (transport error), retryable', () => {
    const mapped = toAzureApiError(restError(undefined, undefined, {}, 'ECONNREFUSED'), 'fleetMembers.list', ID);
    expect(mapped).toMatchObject({
      statusCode: 0,
      armCode: undefined,
      retryable: true,
      operation: 'fleetMembers.list',
    });
    expect(mapped.message).toContain('ECONNREFUSED');
    expect(describeAzureError(mapped)).toMatch(/^no response: /);
  });

  it('keeps no request or response of the RestError: no bearer token can travel with the error', () => {
    const error = restError(401, { error: { code: 'AuthenticationFailed' } });
    error.request?.headers.set('authorization', 'Bearer secret-token-value');
    const mapped = toAzureApiError(error, 'o', ID);
    expect(mapped.cause).toBeInstanceOf(Error);
    expect(mapped.cause).toMatchObject({ name: 'RestError', statusCode: 401, code: undefined });
    expect(mapped.cause).not.toHaveProperty('request');
    expect(mapped.cause).not.toHaveProperty('response');
    expect(JSON.stringify(mapped, Object.getOwnPropertyNames(mapped))).not.toContain('secret-token-value');
    expect(inspect(mapped, { depth: 10, showHidden: true })).not.toContain('secret-token-value');
  });

  it('wraps other thrown values as status 0 and keeps the cause', () => {
    const cause = new TypeError('boom');
    const mapped = toAzureApiError(cause, 'o', undefined);
    expect(mapped).toMatchObject({ statusCode: 0, message: 'o: boom', cause });
    expect(toAzureApiError('text', 'o', undefined)).toMatchObject({ statusCode: 0, message: 'o: text' });
  });

  it('passes the project errors and aborts through unchanged', () => {
    const v = new ValidationError('bad');
    const i = new InvalidArmResourceError(ID, 'bad body');
    const a = new AzureApiError({ statusCode: 404, message: 'x', operation: 'o' });
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    for (const e of [v, i, a, abort]) expect(toAzureApiError(e, 'o', ID)).toBe(e);
  });
});

describe('azureErrorFromResponse and armErrorOf', () => {
  it('maps a REST client response with the envelope and Retry-After', () => {
    const headers: Record<string, string> = { 'retry-after': '3' };
    const e = azureErrorFromResponse(
      {
        status: 409,
        header: (n) => headers[n],
        body: { error: { code: 'AnotherOperationInProgress', message: 'busy' } },
      },
      'clusterMeshProfiles.apply',
      ID,
    );
    expect(e).toMatchObject({
      statusCode: 409,
      armCode: 'AnotherOperationInProgress',
      message: 'busy',
      retryAfterMs: 3000,
    });
  });

  it('names the status when the body says nothing', () => {
    const e = azureErrorFromResponse({ status: 502, header: () => undefined, body: undefined }, 'x.get', ID);
    expect(e).toMatchObject({ statusCode: 502, armCode: undefined, message: 'x.get answered HTTP 502' });
  });

  it.each([
    [{ error: { code: 'A', message: 'm' } }, { code: 'A', message: 'm' }],
    ['{"error":{"code":"B"}}', { code: 'B', message: undefined }],
    [
      { code: 'Bare', message: 'x' },
      { code: 'Bare', message: 'x' },
    ],
    ['not json', undefined],
    ['', undefined],
    [{ value: [] }, undefined],
    [null, undefined],
  ])('armErrorOf(%j)', (body, expected) => {
    expect(armErrorOf(body)).toEqual(expected);
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['12', 12_000],
    ['soon', undefined],
    ['Wed, 21 Oct 2015 07:28:00 GMT', 0],
  ])('parseRetryAfterMs(%j)', (value, expected) => {
    expect(parseRetryAfterMs(value, Date.parse('2020-01-01T00:00:00Z'))).toBe(expected);
  });
});
