// The programmatic API (what the sandbox uses): startHost in this process, settings passed in, instances in memory.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type { HostHandle } from '../../../../local/host/index.js';
import { startHost } from '../../../../local/host/index.js';
import { createLogger } from '../../../../shared/log.js';
import { FIXTURE_APP, json, waitFor } from './hostProcess.js';

const lines: string[] = [];
let host: HostHandle;

beforeAll(async () => {
  host = await startHost({
    appDir: FIXTURE_APP,
    port: 0,
    settings: { FIXTURE_TASK_HUB: 'ApiHub', FIXTURE_TICK_SCHEDULE: '0 0 0 1 1 *', FIXTURE_GREETING: 'Hi' },
    logger: createLogger({ sink: (_level, line) => lines.push(line) }),
  });
});

afterAll(async () => {
  await host.stop();
});

it('starts from options: settings replace local.settings.json, the hub comes from %FIXTURE_TASK_HUB%', async () => {
  expect(host.hubName).toBe('ApiHub');
  expect(host.routePrefix).toBe('api');
  expect(host.functions.find((f) => f.name === 'item')).toEqual({
    name: 'item',
    trigger: 'httpTrigger',
    route: '/api/items/{id:int}',
    methods: ['GET'],
    authLevel: 'function',
  });
  expect(host.functions.find((f) => f.name === 'tick')?.schedule).toBe('0 0 0 1 1 *');
  const hello = await fetch(`${host.url}/api/hello/Grace`);
  expect(await json(hello)).toMatchObject({ greeting: 'Hi, Grace' });
  // no keys configured: function-level routes are open, as with Core Tools
  expect((await fetch(`${host.url}/api/items/1`)).status).toBe(200);
});

it('runs an orchestration in memory and reports it through the durable client', async () => {
  const res = await fetch(`${host.url}/api/orchestrators/sumOrchestration/api-1`, { method: 'POST', body: '[1,2,3]' });
  expect(res.status).toBe(202);
  const location = res.headers.get('location') ?? '';
  expect(location).toContain(`${host.url}/runtime/webhooks/durabletask/instances/api-1?taskHub=ApiHub`);
  const done = await waitFor('api-1 to complete', async () => {
    const s = z
      .looseObject({ runtimeStatus: z.string(), output: z.unknown() })
      .parse(await json(await fetch(location)));
    return s.runtimeStatus === 'Completed' ? s : undefined;
  });
  expect(done.output).toBe(6);
  expect(lines.some((l) => l.includes('"function":"sum"') && l.includes('"outcome":"succeeded"'))).toBe(true);
});

it('refuses a second host in the same process', async () => {
  await expect(startHost({ appDir: FIXTURE_APP, port: 0 })).rejects.toThrow('one app per process');
});
