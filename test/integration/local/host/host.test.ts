// End to end: the fixture app (test/fixtures/host-app) in the local host CLI, driven over HTTP like a user would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HostProcess } from './hostProcess.js';
import { json, spawnHost, waitFor } from './hostProcess.js';

const KEYS = {
  masterKey: 'master-key-for-tests',
  functionKeys: { default: 'function-key-for-tests' },
  systemKeys: { eventgrid_extension: 'eventgrid-key-for-tests', durabletask_extension: 'durable-key-for-tests' },
};

const managementSchema = z.object({
  id: z.string(),
  statusQueryGetUri: z.string(),
  sendEventPostUri: z.string(),
  terminatePostUri: z.string(),
  purgeHistoryDeleteUri: z.string(),
  restartPostUri: z.string(),
  suspendPostUri: z.string(),
  resumePostUri: z.string(),
});
type Management = z.infer<typeof managementSchema>;

const statusSchema = z.looseObject({
  name: z.string(),
  instanceId: z.string(),
  runtimeStatus: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  customStatus: z.unknown(),
  createdTime: z.string(),
  lastUpdatedTime: z.string(),
  historyEvents: z.array(z.looseObject({ EventType: z.string() })).optional(),
});

let host: HostProcess;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'host-it-'));
  const keysFile = path.join(workDir, 'keys.json');
  await writeFile(keysFile, JSON.stringify(KEYS));
  host = await spawnHost({ keysFile });
});

afterAll(async () => {
  await host.kill('SIGTERM');
  await rm(workDir, { recursive: true, force: true });
});

async function start(
  name: string,
  input?: unknown,
  instanceId?: string,
): Promise<{ status: number; body: Management }> {
  const res = await fetch(`${host.url}/api/orchestrators/${name}${instanceId ? `/${instanceId}` : ''}`, {
    method: 'POST',
    ...(input === undefined ? {} : { body: JSON.stringify(input) }),
  });
  const body = managementSchema.parse(await json(res));
  return { status: res.status, body };
}

async function status(url: string, query = ''): Promise<{ code: number; body: z.infer<typeof statusSchema> }> {
  const res = await fetch(`${url}${query}`);
  return { code: res.status, body: statusSchema.parse(await json(res)) };
}

/** A request with a Host header of our choice (what a caller using another name or address sends). */
function withHost(
  method: string,
  pathAndQuery: string,
  hostHeader: string,
  body?: string,
): Promise<{ status: number; location: string | undefined; body: unknown }> {
  const target = new URL(host.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, method, path: pathAndQuery, headers: { host: hostHeader } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const location = res.headers.location;
          resolve({ status: res.statusCode ?? 0, location, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function finished(m: Management): Promise<{ code: number; body: z.infer<typeof statusSchema> }> {
  return waitFor(`instance ${m.id} to finish`, async () => {
    const s = await status(m.statusQueryGetUri, '&showHistory=true&showHistoryOutput=true');
    return s.code === 202 ? undefined : s;
  });
}

describe('HTTP triggers', () => {
  it('routes with the host.json prefix, parameters, query, headers and cookies', async () => {
    const res = await fetch(`${host.url}/api/hello/Ada?q=search`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('yes');
    expect(res.headers.get('set-cookie')).toBe('session=abc; HttpOnly; SameSite=Lax');
    expect(await json(res)).toMatchObject({ greeting: 'Hello, Ada', q: 'search', functionName: 'hello' });
    const noName = await fetch(`${host.url}/api/hello`);
    expect(await json(noName)).toMatchObject({ greeting: 'Hello, world', q: null });
  });

  it('enforces route constraints and methods, and answers 404 outside the prefix', async () => {
    expect((await fetch(`${host.url}/api/hello/123`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/hello/Ada`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.url}/hello/Ada`)).status).toBe(404);
    const res = await fetch(`${host.url}/api/echo/a/b%20c`, { method: 'PUT', body: '{"x":1}' });
    expect(res.status).toBe(201);
    expect(await json(res)).toEqual({ method: 'PUT', rest: 'a/b c', body: { x: 1 } });
  });

  it('requires a function key for function-level routes and the master key for admin-level ones', async () => {
    expect((await fetch(`${host.url}/api/items/7`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/items/7?code=wrong`)).status).toBe(401);
    const withQuery = await fetch(`${host.url}/api/items/7?code=${KEYS.functionKeys.default}`);
    expect(withQuery.status).toBe(200);
    expect(await json(withQuery)).toEqual({ id: 7 });
    const withHeader = await fetch(`${host.url}/api/items/8`, { headers: { 'x-functions-key': KEYS.masterKey } });
    expect(await json(withHeader)).toEqual({ id: 8 });
    // the header wins over code=, as in the Functions host
    const headerWins = await fetch(`${host.url}/api/items/9?code=wrong`, {
      headers: { 'x-functions-key': KEYS.functionKeys.default },
    });
    expect(headerWins.status).toBe(200);
    const wrongHeader = await fetch(`${host.url}/api/items/9?code=${KEYS.functionKeys.default}`, {
      headers: { 'x-functions-key': 'wrong' },
    });
    expect(wrongHeader.status).toBe(401);
    expect((await fetch(`${host.url}/api/items/x?code=${KEYS.functionKeys.default}`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/admin-only?code=${KEYS.functionKeys.default}`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/admin-only?code=${KEYS.masterKey}`)).status).toBe(200);
    // the library's defaults: route = function name, GET and POST, anonymous
    expect((await fetch(`${host.url}/api/defaults`, { method: 'DELETE' })).status).toBe(404);
    const defaults = await fetch(`${host.url}/api/defaults`, { method: 'POST' });
    expect(await defaults.text()).toBe('defaults POST');
  });

  it('reports a generic local host version on /admin/host/status (master key only)', async () => {
    expect((await fetch(`${host.url}/admin/host/status`)).status).toBe(401);
    const res = await fetch(`${host.url}/admin/host/status`, { headers: { 'x-functions-key': KEYS.masterKey } });
    expect(res.status).toBe(200);
    const body = z.object({ state: z.string(), version: z.string() }).parse(await json(res));
    expect(body.state).toBe('Running');
    expect(body.version).toMatch(/^4\.\d+\.\d+-local-host$/);
  });

  it('answers 500 when a handler throws and logs one structured line per invocation', async () => {
    expect((await fetch(`${host.url}/api/throws`)).status).toBe(500);
    const line = await waitFor('the invocation log line of throws', () => {
      const found = host.logs().find((l) => l.includes('"function":"throws"') && l.includes('function invoked'));
      return Promise.resolve(found);
    });
    const record = z
      .looseObject({
        message: z.literal('function invoked'),
        function: z.literal('throws'),
        invocationId: z.uuid(),
        durationMs: z.number().nonnegative(),
        outcome: z.literal('failed'),
      })
      .parse(JSON.parse(line));
    expect(record.outcome).toBe('failed');
  });
});

describe('durable orchestrations', () => {
  it('fans out 50 activities, calls a sub-orchestration, waits on a timer and an event, through the status URLs', async () => {
    const started = await start('fanOutFanIn', { count: 50, timerMs: 300 }, 'fan-1');
    expect(started.status).toBe(202);
    expect(started.body.id).toBe('fan-1');
    expect(started.body.statusQueryGetUri).toContain(`code=${KEYS.systemKeys.durabletask_extension}`);
    const waiting = await waitFor('the approval wait', async () => {
      const s = await status(started.body.statusQueryGetUri);
      return s.code === 202 &&
        z.object({ phase: z.string() }).parse(s.body.customStatus).phase === 'waiting for approval'
        ? s
        : undefined;
    });
    expect(waiting.body.runtimeStatus).toBe('Running');
    expect(waiting.body.output).toBeNull();
    // the same id cannot start while it runs
    const again = await fetch(`${host.url}/api/orchestrators/fanOutFanIn/fan-1`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(409);
    const raise = await fetch(started.body.sendEventPostUri.replace('{eventName}', 'Approval'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'tester' }),
    });
    expect(raise.status).toBe(202);
    const done = await finished(started.body);
    expect(done.code).toBe(200);
    expect(done.body.runtimeStatus).toBe('Completed');
    const output = z
      .object({ count: z.number(), total: z.number(), approval: z.unknown(), waitedMs: z.number(), guid: z.string() })
      .parse(done.body.output);
    expect(output.count).toBe(50);
    expect(output.total).toBe(Array.from({ length: 50 }, (_, i) => i * i).reduce((a, b) => a + b, 0));
    expect(output.approval).toEqual({ by: 'tester' });
    expect(output.waitedMs).toBeGreaterThanOrEqual(300);
    expect(output.guid).toMatch(/^[0-9a-f-]{36}$/);
    const events = done.body.historyEvents ?? [];
    expect(events.filter((e) => e.EventType === 'TaskCompleted' && e.FunctionName === 'square')).toHaveLength(50);
    expect(events.map((e) => e.EventType)).toEqual(
      expect.arrayContaining([
        'ExecutionStarted',
        'SubOrchestrationInstanceCompleted',
        'TimerFired',
        'EventRaised',
        'ExecutionCompleted',
      ]),
    );
    // the durable client's getStatus sees the same instance; a finished id may be started again
    const viaClient = await fetch(`${host.url}/api/status/fan-1`);
    expect(await json(viaClient)).toMatchObject({ instanceId: 'fan-1', runtimeStatus: 'Completed' });
    expect((await start('fanOutFanIn', { count: 1, timerMs: 1 }, 'fan-1')).status).toBe(202);
  });

  it('points the status URLs where the caller reached the host (its Host header), else at the listen URL', async () => {
    const port = new URL(host.url).port;
    const viaLocalhost = await withHost('POST', '/api/orchestrators/sumOrchestration', `localhost:${port}`, '[1,2]');
    expect(viaLocalhost.status).toBe(202);
    const local = managementSchema.parse(viaLocalhost.body);
    expect(local.statusQueryGetUri).toMatch(
      new RegExp(`^http://localhost:${port}/runtime/webhooks/durabletask/instances/${local.id}\\?taskHub=`),
    );
    expect(local.sendEventPostUri.startsWith(`http://localhost:${port}/`)).toBe(true);
    expect(viaLocalhost.location).toBe(local.statusQueryGetUri);
    // a LAN address and port, as a caller of `--hostname 0.0.0.0` would use
    const viaLan = managementSchema.parse(
      (await withHost('POST', '/api/orchestrators/sumOrchestration', '192.168.1.20:7071', '[3]')).body,
    );
    expect(viaLan.statusQueryGetUri.startsWith('http://192.168.1.20:7071/runtime/webhooks/durabletask/')).toBe(true);
    // the durable webhooks answer the same way (Location of a running instance, start through the public API)
    const statusPath = new URL(local.statusQueryGetUri).pathname + new URL(local.statusQueryGetUri).search;
    const polled = await withHost('GET', statusPath, `localhost:${port}`);
    expect([200, 202]).toContain(polled.status);
    if (polled.status === 202) expect(polled.location?.startsWith(`http://localhost:${port}/`)).toBe(true);
    const code = KEYS.systemKeys.durabletask_extension;
    const publicStart = managementSchema.parse(
      (
        await withHost(
          'POST',
          `/runtime/webhooks/durabletask/orchestrators/sumOrchestration?code=${code}`,
          `LocalHost:${port}`,
          '[4]',
        )
      ).body,
    );
    expect(publicStart.statusQueryGetUri.startsWith(`http://localhost:${port}/`)).toBe(true);
    // a Host header that is not plain host[:port] is ignored
    for (const bad of ['evil.example/x', 'user@evil.example', 'evil.example:99999']) {
      const fallback = managementSchema.parse(
        (await withHost('POST', '/api/orchestrators/sumOrchestration', bad, '[5]')).body,
      );
      expect(fallback.statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/`), bad).toBe(true);
    }
    expect((await finished(local)).body.output).toBe(3);
  });

  it("gives activities the extension's trigger metadata: instanceId, data and the trigger's own name", async () => {
    const done = await finished((await start('triggerMetadata', undefined, 'meta-1')).body);
    const probe = z.object({ input: z.unknown(), triggerMetadata: z.record(z.string(), z.unknown()) });
    const { object, text } = z.object({ object: probe, text: probe }).parse(done.body.output);
    expect(object.input).toEqual({ Name: 'probe', n: 1 });
    const triggerKey = Object.keys(object.triggerMetadata).find((k) => k.startsWith('activityTrigger'));
    expect(triggerKey).toBeDefined();
    // @azure/functions camel-cases trigger metadata keys, including those inside objects
    expect(object.triggerMetadata).toEqual({
      instanceId: 'meta-1',
      data: { name: 'probe', n: 1 },
      [triggerKey ?? '']: { name: 'probe', n: 1 },
    });
    expect(text.triggerMetadata).toEqual({
      instanceId: 'meta-1',
      data: 'plain text',
      [triggerKey ?? '']: 'plain text',
    });
  });

  it('retries activities with RetryOptions and surfaces TaskFailedError when attempts run out', async () => {
    const ok = await start('retrying', { key: 'retry-ok', failures: 2, maxAttempts: 3 });
    const exhausted = await start('retrying', { key: 'retry-out', failures: 5, maxAttempts: 2 });
    const okDone = await finished(ok.body);
    expect(okDone.body.output).toEqual({ ok: true, result: { key: 'retry-ok', attempts: 3 } });
    const okEvents = okDone.body.historyEvents ?? [];
    expect(okEvents.filter((e) => e.EventType === 'TaskFailed')).toHaveLength(2);
    expect(okEvents.filter((e) => e.EventType === 'TimerFired')).toHaveLength(2);
    const outDone = await finished(exhausted.body);
    expect(outDone.body.output).toMatchObject({
      ok: false,
      name: 'TaskFailedError',
      isTaskFailedError: true,
      message: 'Error: flaky failure 2 of 5 for retry-out',
    });
  });

  it('stops retrying once retryTimeoutInMilliseconds has elapsed since the first attempt', async () => {
    const within = await start('retrying', { key: 'timeout-ok', failures: 2, maxAttempts: 5, timeoutMs: 60_000 });
    const expired = await start('retrying', { key: 'timeout-out', failures: 100, maxAttempts: 20, timeoutMs: 400 });
    expect((await finished(within.body)).body.output).toEqual({
      ok: true,
      result: { key: 'timeout-ok', attempts: 3 },
    });
    // retries 50, 100, 200, 400 ms apart: the timeout, not the 20 attempts, ends it; the library cannot see that stop,
    // so the orchestrator's catch never runs and the instance fails with the reason
    const out = await finished(expired.body);
    expect(out.code).toBe(400);
    expect(out.body.runtimeStatus).toBe('Failed');
    const message = String(out.body.output);
    expect(message).toContain("CallActivityWithRetry 'flaky' stopped retrying after attempt");
    expect(message).toContain('retryTimeoutInMilliseconds (400 ms) had elapsed since the first attempt');
    const attempts = Number(/after attempt (\d+) failed/.exec(message)?.[1]);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThan(20);
    const events = out.body.historyEvents ?? [];
    expect(events.filter((e) => e.EventType === 'TaskFailed')).toHaveLength(attempts);
  });

  it('propagates failures: caught TaskFailedError, failed orchestration (400), failed sub-orchestration', async () => {
    const caught = await finished((await start('catchFailure')).body);
    expect(caught.body.output).toEqual({
      name: 'TaskFailedError',
      isTaskFailedError: true,
      errorType: 'TypeError',
      errorMessage: 'boom: caught',
    });
    const failed = await finished((await start('uncaughtFailure')).body);
    expect(failed.code).toBe(400);
    expect(failed.body.runtimeStatus).toBe('Failed');
    expect(failed.body.output).toBe("Orchestrator function 'uncaughtFailure' failed: TypeError: boom: not caught");
    const sub = await finished((await start('subOrchestrationFailure')).body);
    expect(sub.body.output).toMatchObject({ caught: 'TaskFailedError' });
  });

  it('fails orchestrators that read Date.now() or Math.random(), naming the first differing action', async () => {
    const byDate = await finished((await start('readsDateNow')).body);
    expect(byDate.body.runtimeStatus).toBe('Failed');
    expect(String(byDate.body.output)).toMatch(/^Non-deterministic orchestration 'readsDateNow'/);
    expect(String(byDate.body.output)).toMatch(/expected CreateTimer \(fireAt .*\) .* but got CreateTimer \(fireAt /);
    const byRandom = await finished((await start('readsMathRandom')).body);
    expect(byRandom.body.runtimeStatus).toBe('Failed');
    expect(String(byRandom.body.output)).toMatch(
      /^Non-deterministic orchestration 'readsMathRandom'.*expected CallActivity 'square' \(task 0.*\) with input \d+ but got CallActivity 'square' with input \d+/,
    );
  });

  it('continues as new: an event raised once the execution continued as new reaches the next one', async () => {
    // As in Azure, an execution that continues as new takes the events it received and did not consume with it (the
    // engine's unit tests show that): so each 'inc' is raised once the previous one started a new execution.
    const counter = await start('counter', { count: 0, max: 3 });
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(counter.body.sendEventPostUri.replace('{eventName}', 'inc'), {
        method: 'POST',
        body: '1',
      });
      expect(res.status).toBe(202);
      if (i === 3) break;
      await waitFor(`the execution started with count ${i}`, async () => {
        const s = await status(counter.body.statusQueryGetUri, '&showInput=true');
        return z.object({ count: z.number() }).safeParse(s.body.input).data?.count === i ? true : undefined;
      });
    }
    const done = await finished(counter.body);
    expect(done.body.output).toEqual({ count: 3, max: 3 });
    // showHistory shows the current execution only, as the extension does: the ContinueAsNew events ended earlier ones
    const events = done.body.historyEvents ?? [];
    expect(events.filter((e) => e.EventType === 'ExecutionStarted')).toEqual([
      expect.objectContaining({ Input: { count: 3, max: 3 } }),
    ]);
    expect(events.some((e) => e.EventType === 'ContinueAsNew')).toBe(false);
  });

  it('supports Task.any with a timer and an external event', async () => {
    const timedOut = await start('approvalOrTimeout', { timeoutMs: 200 });
    const approved = await start('approvalOrTimeout', { timeoutMs: 60_000 });
    await fetch(`${host.url}/api/instances/${approved.body.id}/raise/Go`, { method: 'POST', body: '"yes"' });
    expect((await finished(timedOut.body)).body.output).toEqual({ outcome: 'timed out' });
    expect((await finished(approved.body)).body.output).toEqual({ outcome: 'approved', value: 'yes' });
  });

  it('runs at most maxConcurrentActivityFunctions (host.json: 8) activities at once', async () => {
    const done = await finished((await start('concurrency')).body);
    const peak = z.number().parse(done.body.output);
    expect(peak).toBeLessThanOrEqual(8);
    expect(peak).toBeGreaterThanOrEqual(2);
  });

  it('runs at most maxConcurrentOrchestratorFunctions (host.json: 4) orchestrator executions at once', async () => {
    const probe = z.object({ peak: z.number(), inFlight: z.number() });
    probe.parse(await json(await fetch(`${host.url}/api/probe/orchestrators`, { method: 'DELETE' })));
    const started = await Promise.all(Array.from({ length: 12 }, () => start('orchestratorProbe')));
    for (const s of started) expect((await finished(s.body)).body.output).toBe('probed');
    const { peak } = probe.parse(await json(await fetch(`${host.url}/api/probe/orchestrators`)));
    // each probe execution holds its slot until more than 4 run or 200 ms passed: without the limit, all 12 overlap
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThanOrEqual(2);
  });

  it('retries sub-orchestrations with callSubOrchestratorWithRetry, a new child instance per attempt', async () => {
    const byDefaultId = await start('retryingParent', { key: 'sub-retry-1', failures: 1 }, 'sub-retry-parent');
    const byNamedId = await start('retryingParent', { key: 'sub-retry-2', failures: 1, childId: 'sub-retry-child' });
    const exhausted = await start('retryingParent', { key: 'sub-retry-3', failures: 5 });
    const first = await finished(byDefaultId.body);
    expect(first.body.output).toEqual({ ok: true, result: { key: 'sub-retry-1', attempts: 2 } });
    const events = first.body.historyEvents ?? [];
    expect(events.filter((e) => e.EventType === 'SubOrchestrationInstanceFailed')).toHaveLength(1);
    expect(events.filter((e) => e.EventType === 'TimerFired')).toHaveLength(1);
    expect(events.filter((e) => e.EventType === 'SubOrchestrationInstanceCompleted')).toHaveLength(1);
    // children get parent:taskId ids: the first attempt is task 0, its retry timer 1, the second attempt 2
    const code = KEYS.systemKeys.durabletask_extension;
    const child = async (id: string): Promise<string> =>
      z
        .object({ runtimeStatus: z.string() })
        .parse(await json(await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}?code=${code}`)))
        .runtimeStatus;
    expect(await child('sub-retry-parent:0')).toBe('Failed');
    expect(await child('sub-retry-parent:2')).toBe('Completed');
    // a named child id is used again for the retry: the failed instance is replaced
    expect((await finished(byNamedId.body)).body.output).toEqual({
      ok: true,
      result: { key: 'sub-retry-2', attempts: 2 },
    });
    expect(await child('sub-retry-child')).toBe('Completed');
    expect((await finished(exhausted.body)).body.output).toMatchObject({ ok: false, name: 'TaskFailedError' });
  });

  it('suspends and resumes an instance, keeping events raised meanwhile', async () => {
    const waiting = await start('approvalOrTimeout', { timeoutMs: 600_000 });
    await waitFor('the instance to run', async () =>
      (await status(waiting.body.statusQueryGetUri)).body.runtimeStatus === 'Running' ? true : undefined,
    );
    expect((await fetch(waiting.body.suspendPostUri.replace('{text}', 'pause'), { method: 'POST' })).status).toBe(202);
    expect((await status(waiting.body.statusQueryGetUri)).body.runtimeStatus).toBe('Suspended');
    await fetch(waiting.body.sendEventPostUri.replace('{eventName}', 'Go'), { method: 'POST', body: '"later"' });
    expect((await status(waiting.body.statusQueryGetUri)).body.runtimeStatus).toBe('Suspended');
    expect((await fetch(waiting.body.resumePostUri.replace('{text}', 'go on'), { method: 'POST' })).status).toBe(202);
    expect((await finished(waiting.body)).body.output).toEqual({ outcome: 'approved', value: 'later' });
  });

  it('terminates, refuses events after the end (410), purges, lists and requires the durable key', async () => {
    const waiting = await start('approvalOrTimeout', { timeoutMs: 600_000 });
    expect((await fetch(waiting.body.terminatePostUri.replace('{text}', 'enough'), { method: 'POST' })).status).toBe(
      202,
    );
    const terminated = await finished(waiting.body);
    expect(terminated.code).toBe(400);
    expect(terminated.body).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough' });
    expect(
      (await fetch(waiting.body.sendEventPostUri.replace('{eventName}', 'Go'), { method: 'POST', body: '1' })).status,
    ).toBe(410);
    const list = z
      .array(z.object({ instanceId: z.string(), runtimeStatus: z.string() }))
      .parse(await json(await fetch(`${host.url}/api/instances`)));
    expect(list).toContainEqual({ instanceId: waiting.body.id, runtimeStatus: 'Terminated' });
    const filtered = z
      .array(statusSchema)
      .parse(
        await json(
          await fetch(
            `${host.url}/runtime/webhooks/durabletask/instances?runtimeStatus=Terminated&code=${KEYS.systemKeys.durabletask_extension}`,
          ),
        ),
      );
    expect(filtered.every((s) => s.runtimeStatus === 'Terminated')).toBe(true);
    expect(filtered.map((s) => s.instanceId)).toContain(waiting.body.id);
    expect((await fetch(waiting.body.purgeHistoryDeleteUri, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(waiting.body.statusQueryGetUri)).status).toBe(404);
    expect((await fetch(waiting.body.statusQueryGetUri.replace(/&code=[^&]*/, ''))).status).toBe(401);
    const viaClient = await fetch(`${host.url}/api/status/${waiting.body.id}`);
    expect(viaClient.status).toBe(404);
  });
});

describe('Event Grid trigger', () => {
  const endpoint = (code = KEYS.systemKeys.eventgrid_extension, fn = 'gridEvents'): string =>
    `${host.url}/runtime/webhooks/eventgrid?functionName=${fn}&code=${code}`;
  const log = async (): Promise<{ event: Record<string, unknown>; triggerMetadata: unknown }[]> =>
    z
      .array(z.object({ event: z.record(z.string(), z.unknown()), triggerMetadata: z.unknown() }))
      .parse(await json(await fetch(`${host.url}/api/grid-log`)));

  it('answers the subscription validation handshake', async () => {
    const res = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          id: 'v1',
          topic: '/subscriptions/x',
          subject: '',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: new Date().toISOString(),
          data: { validationCode: 'code-123', validationUrl: 'https://example.invalid/validate' },
          dataVersion: '2',
        },
      ]),
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ validationResponse: 'code-123' });
  });

  it('answers the CloudEvents OPTIONS handshake', async () => {
    const res = await fetch(endpoint(), {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('delivers Event Grid schema arrays and CloudEvents (single and batch), one invocation per event', async () => {
    const before = (await log()).length;
    const egEvent = (id: string): Record<string, unknown> => ({
      id,
      topic: '/subscriptions/s/resourceGroups/rg',
      subject: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      eventTime: new Date().toISOString(),
      data: { n: id },
      dataVersion: '1',
    });
    const eg = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
      body: JSON.stringify([egEvent('eg-1'), egEvent('eg-2')]),
    });
    expect(eg.status).toBe(202);
    const ce = (id: string): Record<string, unknown> => ({
      specversion: '1.0',
      id,
      source: '/subscriptions/s',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
      time: new Date().toISOString(),
      data: { n: id },
    });
    const single = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(ce('ce-1')),
    });
    expect(single.status).toBe(202);
    const batch = await fetch(endpoint(), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([ce('ce-2'), ce('ce-3')]),
    });
    expect(batch.status).toBe(202);
    const after = await log();
    expect(after.slice(before).map((r) => r.event.id)).toEqual(['eg-1', 'eg-2', 'ce-1', 'ce-2', 'ce-3']);
    // the Event Grid extension's binding data: the event's data
    expect(after.slice(before).map((r) => r.triggerMetadata)).toEqual(
      ['eg-1', 'eg-2', 'ce-1', 'ce-2', 'ce-3'].map((n) => ({ data: { n } })),
    );
    expect(after.at(-1)?.event).toMatchObject({ specversion: '1.0', type: 'Microsoft.Resources.ResourceWriteSuccess' });
  });

  it('rejects missing keys, unknown functions and malformed deliveries with a message', async () => {
    const headers = { 'aeg-event-type': 'Notification', 'content-type': 'application/json' };
    expect((await fetch(endpoint('wrong'), { method: 'POST', headers, body: '[]' })).status).toBe(401);
    expect((await fetch(endpoint(undefined, 'nope'), { method: 'POST', headers, body: '[]' })).status).toBe(404);
    // without the key, an unknown function answers 401 like a known one: function names do not leak
    expect((await fetch(endpoint('wrong', 'nope'), { method: 'POST', headers, body: '[]' })).status).toBe(401);
    const noKey = `${host.url}/runtime/webhooks/eventgrid?functionName=`;
    expect((await fetch(`${noKey}nope`, { method: 'POST', headers, body: '[]' })).status).toBe(401);
    expect((await fetch(noKey, { method: 'POST', headers, body: '[]' })).status).toBe(401);
    // the system key in the x-functions-key header also opens it
    const viaHeader = await fetch(`${noKey}nope`, {
      method: 'POST',
      headers: { ...headers, 'x-functions-key': KEYS.systemKeys.eventgrid_extension },
      body: '[]',
    });
    expect(viaHeader.status).toBe(404);
    const bad = await fetch(endpoint(), { method: 'POST', headers, body: JSON.stringify([{ id: 'x' }]) });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toEqual({ error: 'event 0: "eventType" must be a non-empty string' });
    const noHeader = await fetch(endpoint(), { method: 'POST', body: '[]' });
    expect(noHeader.status).toBe(400);
  });
});

describe('start-up errors', () => {
  it('refuses to start when a %SETTING% reference has no value, naming it', async () => {
    const settingsFile = path.join(workDir, 'settings.json');
    await writeFile(settingsFile, JSON.stringify({ FIXTURE_TASK_HUB: 'OtherHub' }));
    const failure = spawnHost({ extraArgs: ['--settings', settingsFile] });
    await expect(failure).rejects.toThrow("function 'tick' binding '");
    await expect(failure).rejects.toThrow("'%FIXTURE_TICK_SCHEDULE%' does not resolve to a value");
  });
});

describe('timer trigger', () => {
  it('fires on its six-field NCRONTAB schedule, read from an app setting', async () => {
    const ticks = await waitFor('two timer ticks', async () => {
      const list = z
        .array(z.object({ isPastDue: z.boolean() }))
        .parse(await json(await fetch(`${host.url}/api/ticks`)));
      return list.length >= 2 ? list : undefined;
    });
    expect(ticks[0]?.isPastDue).toBe(false);
  });

  it('fires a runOnStartup timer once at start, long before its schedule', async () => {
    const read = async (): Promise<{ isPastDue: boolean }[]> =>
      z
        .array(z.object({ isPastDue: z.boolean() }))
        .parse(await json(await fetch(`${host.url}/api/probe/startup-ticks`)));
    await waitFor('the startup tick', async () => ((await read()).length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(await read()).toEqual([{ isPastDue: false }]);
  });
});
