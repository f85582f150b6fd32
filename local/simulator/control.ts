/**
 * The control API under `/_sim/` (Bearer admin token). Every route maps onto a SimulatorControl method:
 *
 * | method and path | does |
 * |---|---|
 * | GET /_sim | endpoint, subscription, tenant, principals (with tokens), settings |
 * | GET /_sim/state | the whole state |
 * | POST /_sim/scenario `{scenario, subscriptionId?, tenantId?}` | loads a scenario (name, or object) |
 * | GET, PUT, DELETE /_sim/faults | fault configuration |
 * | GET /_sim/calls?since=N, DELETE /_sim/calls | call log |
 * | GET, DELETE /_sim/counters | counters per operation |
 * | GET /_sim/time, PUT /_sim/time `{factor}`, POST /_sim/time/advance `{ms}` | simulated clock |
 * | PUT /_sim/throttling `{enabled?, trafficManager?, reads?, writes?, deletes?}` | throttling |
 * | PUT /_sim/roleEnforcement `{enabled}` | role enforcement |
 * | GET, PATCH /_sim/settings | any setting (deep merge) |
 * | PUT /_sim/health `{resourceId or target, health}` | simulated health (Traffic Manager monitor status) |
 * | GET, POST /_sim/eventSubscriptions, DELETE /_sim/eventSubscriptions/{name} | Event Grid webhook subscriptions |
 * | GET /_sim/events, GET /_sim/deliveries | produced events, delivery attempts |
 * | POST /_sim/checkAccess `{principal, action, scope}` | what role enforcement would decide |
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ensureError } from '../../shared/errors.js';
import { EventSubscriptionSchema } from './events.js';
import { FaultConfigSchema } from './faults.js';
import { ArmError } from './http/errors.js';
import { ScenarioError } from './scenario/schema.js';
import { sendJson, type Simulator } from './simulator.js';

const TimeBody = z.object({ factor: z.number().min(0) }).strict();
const AdvanceBody = z.object({ ms: z.number().min(0) }).strict();
const EnabledBody = z.object({ enabled: z.boolean() }).strict();
const ThrottlingBody = z
  .object({
    enabled: z.boolean().optional(),
    trafficManager: z.boolean().optional(),
    reads: z.object({ size: z.int().min(1), refillPerSecond: z.number().min(0) }).optional(),
    writes: z.object({ size: z.int().min(1), refillPerSecond: z.number().min(0) }).optional(),
    deletes: z.object({ size: z.int().min(1), refillPerSecond: z.number().min(0) }).optional(),
  })
  .strict();
const HealthBody = z
  .object({
    resourceId: z.string().optional(),
    target: z.string().optional(),
    health: z.enum(['Healthy', 'Degraded', 'Stopped']).nullable(),
  })
  .strict();
const ScenarioBody = z
  .object({
    scenario: z.union([z.string(), z.record(z.string(), z.unknown())]),
    subscriptionId: z.string().optional(),
    tenantId: z.string().optional(),
  })
  .strict();
const AccessBody = z.object({ principal: z.string(), action: z.string(), scope: z.string() }).strict();

function parse<S extends z.ZodType>(schema: S, body: Buffer): z.output<S> {
  let raw: unknown;
  try {
    raw = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ArmError(400, 'InvalidRequestContent', `The body is not valid JSON: ${ensureError(error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue ? issue.path.map(String).join('.') : '';
    throw new ArmError(
      400,
      'InvalidRequestContent',
      `The body is invalid at '${path || '(body)'}': ${issue?.message ?? 'invalid'}.`,
    );
  }
  return result.data;
}

export async function handleControl(
  sim: Simulator,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  url: URL,
  body: Buffer,
): Promise<void> {
  await Promise.resolve();
  try {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${sim.adminToken}`) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        'The control API needs the admin token: Authorization: Bearer <adminToken>.',
      );
    }
    const control = sim.control();
    const method = (req.method ?? 'GET').toUpperCase();
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    const ok = (value: unknown, status = 200): void => {
      sendJson(res, status, value, {});
    };
    const eventSub = /^\/_sim\/eventSubscriptions\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && eventSub?.[1]) {
      const removed = control.removeEventSubscription(decodeURIComponent(eventSub[1]));
      if (!removed) throw new ArmError(404, 'NotFound', `No event subscription '${decodeURIComponent(eventSub[1])}'.`);
      ok({ removed: true });
      return;
    }
    switch (route) {
      case 'GET /_sim':
        ok({
          endpoint: sim.baseUrl,
          subscriptionId: sim.world.subscriptionId,
          tenantId: sim.world.tenantId,
          principals: control.principals(),
          settings: control.settings(),
        });
        return;
      case 'GET /_sim/state':
        ok(control.state());
        return;
      case 'POST /_sim/scenario': {
        const b = parse(ScenarioBody, body);
        try {
          control.loadScenario(b.scenario, {
            ...(b.subscriptionId ? { subscriptionId: b.subscriptionId } : {}),
            ...(b.tenantId ? { tenantId: b.tenantId } : {}),
          });
        } catch (error) {
          if (error instanceof ScenarioError)
            throw new ArmError(400, 'InvalidScenario', error.message, { target: error.path });
          throw error;
        }
        ok({
          subscriptionId: sim.world.subscriptionId,
          tenantId: sim.world.tenantId,
          principals: control.principals(),
        });
        return;
      }
      case 'GET /_sim/faults':
        ok(control.faults());
        return;
      case 'PUT /_sim/faults':
        control.setFaults(parse(FaultConfigSchema, body));
        ok(control.faults());
        return;
      case 'DELETE /_sim/faults':
        control.clearFaults();
        ok(control.faults());
        return;
      case 'GET /_sim/calls': {
        const since = Number(url.searchParams.get('since') ?? '0');
        ok({ value: control.calls(Number.isFinite(since) ? since : 0) });
        return;
      }
      case 'DELETE /_sim/calls':
        control.clearCalls();
        ok({ cleared: true });
        return;
      case 'GET /_sim/counters':
        ok(control.counters());
        return;
      case 'DELETE /_sim/counters':
        control.resetCounters();
        ok({ cleared: true });
        return;
      case 'GET /_sim/time':
        ok({ now: new Date(control.now()).toISOString(), factor: control.settings().timeFactor });
        return;
      case 'PUT /_sim/time':
        control.setTimeFactor(parse(TimeBody, body).factor);
        ok({ now: new Date(control.now()).toISOString(), factor: control.settings().timeFactor });
        return;
      case 'POST /_sim/time/advance':
        control.advance(parse(AdvanceBody, body).ms);
        ok({ now: new Date(control.now()).toISOString(), factor: control.settings().timeFactor });
        return;
      case 'PUT /_sim/throttling': {
        const b = parse(ThrottlingBody, body);
        control.setThrottling({ ...control.settings().throttling, ...b });
        ok(control.settings().throttling);
        return;
      }
      case 'PUT /_sim/roleEnforcement':
        control.setRoleEnforcement(parse(EnabledBody, body).enabled);
        ok({ enabled: control.settings().enforceRoles });
        return;
      case 'GET /_sim/settings':
        ok(control.settings());
        return;
      case 'PATCH /_sim/settings':
        ok(control.updateSettings(parse(z.record(z.string(), z.unknown()), body)));
        return;
      case 'PUT /_sim/health': {
        const b = parse(HealthBody, body);
        control.setHealth({
          ...(b.resourceId === undefined ? {} : { resourceId: b.resourceId }),
          ...(b.target === undefined ? {} : { target: b.target }),
          health: b.health,
        });
        ok({ health: Object.fromEntries(sim.world.health) });
        return;
      }
      case 'GET /_sim/eventSubscriptions':
        ok({ value: control.eventSubscriptions() });
        return;
      case 'POST /_sim/eventSubscriptions': {
        ok(control.addEventSubscription(parse(EventSubscriptionSchema, body)), 201);
        return;
      }
      case 'GET /_sim/events':
        ok({ value: control.events() });
        return;
      case 'GET /_sim/deliveries':
        ok({ value: control.deliveries() });
        return;
      case 'POST /_sim/checkAccess':
        ok(control.checkAccess(parse(AccessBody, body)));
        return;
      default:
        throw new ArmError(404, 'NotFound', `No control route '${route}'. See docs/simulator.md.`);
    }
  } catch (error) {
    if (error instanceof ArmError) {
      sendJson(res, error.status, error.toBody(), error.headers);
      return;
    }
    if (error instanceof ScenarioError) {
      sendJson(res, 400, { error: { code: 'InvalidScenario', message: error.message, target: error.path } }, {});
      return;
    }
    if (error instanceof z.ZodError) {
      const issue = error.issues[0];
      sendJson(
        res,
        400,
        {
          error: {
            code: 'InvalidRequestContent',
            message: `${issue ? issue.path.map(String).join('.') : ''}: ${issue?.message ?? 'invalid'}`,
          },
        },
        {},
      );
      return;
    }
    sendJson(res, 500, { error: { code: 'InternalServerError', message: ensureError(error).message } }, {});
  }
}
