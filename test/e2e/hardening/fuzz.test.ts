/**
 * Fuzzing (fast-check) against one running sandbox, with no sleeps: more than 10,000 malformed inputs.
 *
 * - HTTP bodies of every route that takes one (plan, apply, policy, approve, reject): not JSON, JSON that is not an
 *   object, objects with an unknown field, known fields of the wrong type;
 * - route parameters and query strings: profile names and operation ids that are not valid, broken percent-encoding,
 *   arbitrary query strings on top;
 * - Event Grid deliveries through the webhook: bodies that are not JSON or not arrays of events, events missing or
 *   mistyping the fields Event Grid requires, unknown `aeg-event-type` headers;
 * - scenario files through the simulator's scenario loader (`POST /_sim/scenario` of a separate simulator): the
 *   two-regions scenario with one value replaced, removed or added at a random path.
 *
 * Every answer must be a 4xx whose body names what is wrong (`error.message`, or the host's `error` text), never a
 * 5xx; then the sandbox must still answer its health route and compute a plan. Envelope-valid events whose content is
 * not for fleetmesh are answered 202 by the Event Grid contract (a 4xx would make Event Grid drop or dead-letter
 * them): those are checked to be ignored with a reason naming the field, and never 5xx.
 *
 * FUZZ_SCALE multiplies the run counts (`npm run test:soak` uses 5).
 */
import { Agent, request } from 'node:https';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, twoRegionsScenario, type RunningSimulator } from '../../../local/simulator/index.js';
import { parseFleetEvent } from '../../../shared/events/fleetEvents.js';
import { startE2E, type E2E } from '../support/harness.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = {
  bodies: 3000 * SCALE,
  params: 3000 * SCALE,
  events: 2500 * SCALE,
  ignoredEvents: 300 * SCALE,
  scenarios: 2500 * SCALE,
};
const SEED = Number(process.env.FUZZ_SEED ?? 1125);

let e2e: E2E;
let scenarioSim: RunningSimulator;
const tally = { requests: 0, refused: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  e2e = await startE2E({ resyncOnStartup: false });
  scenarioSim = await startSimulator({ scenario: 'two-regions', throttling: false });
});

afterAll(async () => {
  await scenarioSim.stop();
  await e2e.stop();
  console.log(
    `fuzz: ${tally.requests} requests, ${tally.refused} malformed ones refused with a 4xx and a message; answers ${[
      ...tally.byStatus.entries(),
    ]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s} ×${n}`)
      .join(', ')}`,
  );
});

const ErrorBody = z.union([
  z.looseObject({ error: z.looseObject({ code: z.string().min(1), message: z.string().min(1) }) }),
  z.looseObject({ error: z.string().min(1) }),
]);

interface Answer {
  readonly status: number;
  readonly text: string;
}

function count(status: number): void {
  tally.requests += 1;
  tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
}

/** A 4xx whose body names the problem. */
function expectRefused(answer: Answer, what: string): void {
  count(answer.status);
  if (answer.status < 400 || answer.status >= 500) {
    throw new Error(`${what}: expected a 4xx, got ${answer.status} ${answer.text.slice(0, 300)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    throw new Error(`${what}: ${answer.status} without a JSON error body: ${answer.text.slice(0, 200)}`);
  }
  if (!ErrorBody.safeParse(parsed).success) {
    throw new Error(`${what}: ${answer.status} without an error message: ${answer.text.slice(0, 200)}`);
  }
  tally.refused += 1;
}

async function send(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const r = await fetch(`${e2e.sandbox.host.url}${path}`, {
    method,
    headers: { 'x-functions-key': e2e.sandbox.functionKey, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: r.status, text: await r.text() };
}

/** The Event Grid webhook of `fleetEvents`. */
const WEBHOOK = '/runtime/webhooks/eventgrid?functionName=fleetEvents';

/**
 * The webhook's key as Event Grid sends it: the `eventgrid_extension` system key. In the header, which the host reads
 * before `code=` (as the Functions host does), so it replaces the function key `send` adds to every request.
 */
function webhookKey(): Record<string, string> {
  return { 'x-functions-key': e2e.sandbox.eventGridKey };
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** Text that is not JSON and not blank (a blank body means "no body", which is valid). */
const notJson = fc.string({ minLength: 1, maxLength: 200 }).filter((t) => {
  if (t.trim() === '') return false;
  try {
    JSON.parse(t);
    return false;
  } catch {
    return true;
  }
});
const jsonNotObject = fc.oneof(
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 50 }),
  fc.boolean(),
  fc.constant(null),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Bodies that no route accepts whatever its schema: the route's allowed fields get values of the wrong type. */
function malformedBody(allowed: readonly string[], wrongTyped: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const unknownKey = fc
    .string({ minLength: 1, maxLength: 20 })
    .filter((k) => !allowed.includes(k) && k !== '__proto__');
  const withUnknown = fc
    .tuple(unknownKey, anyJson, fc.dictionary(fc.constantFrom(...allowed), anyJson, { maxKeys: 2 }))
    .map(([k, v, rest]) => JSON.stringify({ ...rest, [k]: v }));
  const wrongType = fc.tuple(fc.constantFrom(...allowed), wrongTyped).map(([k, v]) => JSON.stringify({ [k]: v }));
  return fc.oneof(
    notJson,
    jsonNotObject.map((v) => JSON.stringify(v)),
    withUnknown,
    wrongType,
  );
}

/** Values of a type none of the fields accept (each field takes a string, a number, a boolean or an object). */
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.constant(null));
const notAnyPolicyValue = fc.oneof(
  fc.string({ minLength: 1 }).map((s) => [s]),
  fc.constant(null),
  fc.constant([]),
);

const PROFILE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const badProfile = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 80 }),
    fc.stringMatching(/^[a-z0-9-]{64,90}$/),
    fc.constantFrom('-demo', 'demo-', 'Demo', 'de mo', 'dé', '...', 'demo.x'),
  )
  // '.' and '..' are dot segments: the client's URL parser resolves them away before anything is sent.
  .filter((p) => (!PROFILE.test(p) || p.length > 63) && p !== '.' && p !== '..');
const badOperationId = fc
  .oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.constantFrom('demo', 'demo.', '.x', 'demo.not-a-uuid'))
  .filter((id) => !/^[a-z0-9-]+\.[0-9a-f-]{36}$/.test(id) && id !== '.' && id !== '..');
const queryString = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 60 }).map((q) => `?${encodeURIComponent(q)}`),
  fc.string({ maxLength: 60 }).map((q) => `?${q.replace(/[#\s]/g, '')}`),
  fc.constantFrom('?%', '?a=%zz', '?&&&=', '?x=1&x=2&x=3', '?top=-1', `?pad=${'x'.repeat(2000)}`),
);

// ---------------------------------------------------------------------------------------------------------------

describe('fuzzing', () => {
  it(`refuses ${RUNS.bodies} malformed bodies with a 4xx that names the problem`, async () => {
    const routes = [
      { method: 'POST', path: '/api/meshes/demo/plan', body: malformedBody(['memberSelector'], notAString) },
      { method: 'POST', path: '/api/meshes/demo/apply', body: malformedBody(['planId', 'memberSelector'], notAString) },
      {
        method: 'PUT',
        path: '/api/meshes/demo/policy',
        body: malformedBody(
          ['mode', 'allowRemovals', 'debounceSeconds', 'approvalTimeoutHours', 'convergence', 'traffic'],
          notAnyPolicyValue,
        ),
      },
      {
        method: 'POST',
        path: `/api/operations/demo.${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/approve`,
        body: malformedBody(['comment'], notAString),
      },
      {
        method: 'POST',
        path: `/api/operations/demo.${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/reject`,
        body: malformedBody(['comment'], notAString),
      },
    ];
    const requests = fc.oneof(...routes.map((r) => r.body.map((body) => ({ ...r, body }))));
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const answer = await send(r.method, r.path, r.body, { 'content-type': 'application/json' });
        expectRefused(answer, `${r.method} ${r.path} ${r.body.slice(0, 120)}`);
      }),
      { numRuns: RUNS.bodies, seed: SEED },
    );
  });

  it(`refuses ${RUNS.params} malformed route parameters and query strings`, async () => {
    const requests = fc.oneof(
      fc.tuple(badProfile, queryString).map(([p, q]) => ['GET', `/api/meshes/${encodeURIComponent(p)}${q}`] as const),
      fc
        .tuple(badProfile, queryString)
        .map(([p, q]) => ['POST', `/api/meshes/${encodeURIComponent(p)}/plan${q}`] as const),
      fc
        .tuple(badProfile, queryString)
        .map(([p, q]) => ['POST', `/api/meshes/${encodeURIComponent(p)}/apply${q}`] as const),
      fc
        .tuple(badProfile, queryString)
        .map(([p, q]) => ['PUT', `/api/meshes/${encodeURIComponent(p)}/policy${q}`] as const),
      fc
        .tuple(badOperationId, queryString)
        .map(([id, q]) => ['GET', `/api/operations/${encodeURIComponent(id)}${q}`] as const),
      fc
        .tuple(badOperationId, fc.constantFrom('approve', 'reject'), queryString)
        .map(([id, verb, q]) => ['POST', `/api/operations/${encodeURIComponent(id)}/${verb}${q}`] as const),
      // Percent-encoding that does not decode.
      fc
        .tuple(fc.constantFrom('%', '%E0%A4%A', '%zz', '%C3', 'a%2'), queryString)
        .map(([p, q]) => ['GET', `/api/meshes/${p}${q}`] as const),
    );
    await fc.assert(
      fc.asyncProperty(requests, async ([method, path]) => {
        expectRefused(await send(method, path, method === 'GET' ? undefined : '{}'), `${method} ${path}`);
      }),
      { numRuns: RUNS.params, seed: SEED },
    );
  });

  it(`refuses ${RUNS.events} malformed Event Grid deliveries through the webhook`, async () => {
    const path = WEBHOOK;
    const required = ['id', 'eventType', 'subject', 'eventTime'] as const;
    const validEvent = fc.record({
      id: fc.uuid(),
      eventType: fc.string({ minLength: 1, maxLength: 40 }),
      subject: fc.string({ minLength: 1, maxLength: 80 }),
      eventTime: fc.string({ minLength: 1, maxLength: 30 }),
      data: anyJson,
    });
    const brokenEvent = fc
      .tuple(validEvent, fc.constantFrom(...required), fc.oneof(fc.constant(undefined), notAString, fc.constant('')))
      .map(([event, field, value]) =>
        Object.fromEntries([
          ...Object.entries(event).filter(([k]) => k !== field),
          ...(value === undefined ? [] : [[field, value] as const]),
        ]),
      );
    const deliveries = fc.oneof(
      notJson.map((body) => ({ body, type: 'Notification' })),
      jsonNotObject
        .filter((v) => !Array.isArray(v) || v.length === 0 || v.some((x) => x === null || typeof x !== 'object'))
        .map((v) => ({ body: JSON.stringify(v), type: 'Notification' })),
      fc
        .tuple(fc.array(validEvent, { maxLength: 3 }), brokenEvent)
        .map(([ok, bad]) => ({ body: JSON.stringify([...ok, bad]), type: 'Notification' })),
      fc
        .tuple(validEvent, fc.string({ minLength: 1, maxLength: 30 }))
        .filter(([, t]) => !['notification', 'subscriptionvalidation', 'unsubscribe'].includes(t.trim().toLowerCase()))
        .map(([event, type]) => ({ body: JSON.stringify([event]), type: type.replace(/[^\x20-\x7e]/g, '') || 'x' })),
      validEvent.map((event) => ({ body: JSON.stringify([event]), type: 'SubscriptionValidation' })),
    );
    await fc.assert(
      fc.asyncProperty(deliveries, async ({ body, type }) => {
        const answer = await send('POST', path, body, {
          ...webhookKey(),
          'content-type': 'application/json',
          'aeg-event-type': type,
        });
        expectRefused(answer, `event delivery (${type}) ${body.slice(0, 120)}`);
      }),
      { numRuns: RUNS.events, seed: SEED },
    );
  });

  it(`answers ${RUNS.ignoredEvents} envelope-valid events that are not for fleetmesh with 202, each ignored with a reason`, async () => {
    const path = WEBHOOK;
    const scope = { subscriptionId: e2e.sandbox.subscriptionId, resourceGroup: 'rg-fleet', fleetName: 'fleet-demo' };
    const event = fc.record({
      id: fc.uuid(),
      topic: fc.string({ maxLength: 40 }),
      eventType: fc.oneof(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom('Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess'),
      ),
      subject: fc.oneof(
        fc.string({ minLength: 1, maxLength: 80 }),
        fc.constant(`/subscriptions/${e2e.sandbox.subscriptionId}/resourceGroups/rg-other/providers/x/y/z`),
      ),
      eventTime: fc.oneof(
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.date().map((d) => d.toISOString()),
      ),
      data: anyJson,
      dataVersion: fc.string({ maxLength: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const parsed = await parseFleetEvent(e, scope);
        if (parsed.kind !== 'ignored') throw new Error(`a random event was accepted: ${JSON.stringify(e)}`);
        expect(parsed.reason.length).toBeGreaterThan(0);
        const answer = await send('POST', path, JSON.stringify([e]), {
          ...webhookKey(),
          'content-type': 'application/json',
          'aeg-event-type': 'Notification',
        });
        count(answer.status);
        expect(answer.status, answer.text).toBe(202);
      }),
      { numRuns: RUNS.ignoredEvents, seed: SEED },
    );
  });

  it(`refuses ${RUNS.scenarios} malformed scenario files through the simulator's scenario loader`, async () => {
    const base = twoRegionsScenario();
    const url = `${scenarioSim.endpoint}/_sim/scenario`;
    const agent = new Agent({ ca: scenarioSim.certificatePem, keepAlive: true });
    const post = (body: string): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${scenarioSim.adminToken}`, 'content-type': 'application/json' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    let accepted = 0;
    const mutated = fc
      .tuple(fc.nat(), fc.nat(), fc.constantFrom('replace', 'remove', 'add'), anyJson, fc.string({ maxLength: 12 }))
      .map(([a, b, op, value, key]) => mutate(base, a, b, op, value, key));
    const bodies = fc.oneof(
      { weight: 8, arbitrary: mutated.map((s) => JSON.stringify({ scenario: s })) },
      { weight: 1, arbitrary: notJson },
      { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify({ scenario: v })) },
    );
    try {
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          const before = JSON.stringify(scenarioSim.control.settings());
          const world = scenarioSim.control.world();
          const answer = await post(body);
          if (answer.status === 200) {
            // The mutation left a valid scenario (a free-text field, say): loaded, which is right.
            accepted += 1;
            count(200);
            return;
          }
          expectRefused(answer, `scenario ${body.slice(0, 160)}`);
          // A refused scenario changes nothing.
          expect(JSON.stringify(scenarioSim.control.settings())).toBe(before);
          expect(scenarioSim.control.world()).toBe(world);
        }),
        { numRuns: RUNS.scenarios, seed: SEED },
      );
    } finally {
      agent.destroy();
    }
    console.log(`fuzz: ${accepted} of ${RUNS.scenarios} mutated scenarios were still valid and loaded`);
  });

  it('still answers its health route and computes a plan', async () => {
    const health = await e2e.api('GET', '/health');
    expect(health.status).toBe(200);
    const plan = await e2e.api('POST', '/meshes/demo/plan', {});
    expect(plan.status, plan.text).toBe(200);
    expect(z.looseObject({ planId: z.string().regex(/^[0-9a-f]{64}$/) }).parse(plan.json).planId).toHaveLength(64);
    expect(tally.refused).toBeGreaterThanOrEqual(10_000 * SCALE);
  });
});

/** Replaces, removes or adds one value at a path chosen by `a` and `b` in a copy of `base`. */
function mutate(base: unknown, a: number, b: number, op: string, value: unknown, key: string): unknown {
  const copy: unknown = JSON.parse(JSON.stringify(base));
  const containers: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        containers.push({ holder: node, key: i });
        walk(child);
      });
    } else if (isRecord(node)) {
      for (const [k, child] of Object.entries(node)) {
        containers.push({ holder: node, key: k });
        walk(child);
      }
    }
  };
  walk(copy);
  const target = containers[a % Math.max(1, containers.length)];
  if (!target) return value;
  const { holder, key: at } = target;
  if (Array.isArray(holder)) {
    const i = Number(at);
    if (op === 'remove') holder.splice(i, 1);
    else if (op === 'add') holder.splice(i, 0, value);
    else holder[i] = value;
  } else {
    const k = String(at);
    if (op === 'remove') Reflect.deleteProperty(holder, k);
    else if (op === 'add') holder[key || `extra${b}`] = value;
    else holder[k] = value;
  }
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
