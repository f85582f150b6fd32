/**
 * The gateways' common pipeline against the simulator: 429 retried after Retry-After and surfaced when retries run
 * out, transport errors (status 0), TLS trust for the ARM endpoint only, client-side pacing that keeps a 255-write
 * fan-out inside ARM's write bucket, slowing down on ARM's remaining-requests header, and the call counters with
 * concurrent `track` scopes.
 */
import { createServer } from 'node:net';
import { get as httpsGet, globalAgent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateways, isThrottled, RETRY_OPTIONS } from '../../../../shared/azure/index.js';
import { ConfigurationError } from '../../../../shared/errors.js';
import { settingsFor, startHarness, type GatewayHarness } from './support.js';

const TM_RG = 'rg-traffic';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('retries, transport errors and TLS (two-regions)', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('retries a 429 after the Retry-After the simulator sent, counting each 429', async () => {
    h.sim.control.setFaults({
      overrides: [
        { match: { operations: ['fleetMembers.get'] }, errorRates: { '429': 1 }, retryAfterSeconds: 1, times: 2 },
      ],
    });
    const since = h.sim.control.calls().at(-1)?.seq ?? 0;
    const { value: member, calls } = await h.gateways.counters.track(() => h.gateways.fleet.getMember('member-east'));
    h.sim.control.clearFaults();
    expect(member.name).toBe('member-east');
    expect(calls).toEqual({ reads: 3, writes: 0, throttled: 2, errors: 0 });
    const log = h.sim.control.calls(since).filter((c) => c.operation === 'fleetMembers.get');
    expect(log.map((c) => c.status)).toEqual([429, 429, 200]);
    // Each retry came no earlier than the 1 s the 429 asked for (a lower bound: the policy sleeps at least that).
    const times = log.map((c) => Date.parse(c.time));
    for (let i = 1; i < times.length; i += 1) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(950);
    // Each 429 was logged as a warning with the operation, and no token went into the logs.
    const warnings = h.logs.filter((l) => l.includes('ARM throttled a request') && l.includes('fleetMembers.get'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('"retryAfterMs":1000');
    expect(h.logs.join('\n')).not.toContain(h.sim.tokens['fleetmesh'] ?? 'no token');
  });

  it('when the retries run out, the 429 surfaces as an AzureApiError with Retry-After', async () => {
    h.sim.control.setFaults({
      overrides: [
        { match: { operations: ['clusterMeshProfiles.get'] }, errorRates: { '429': 1 }, retryAfterSeconds: 0 },
      ],
    });
    const before = h.gateways.counters.snapshot()['clusterMeshProfiles.get'];
    const error: unknown = await h.gateways.fleet.getMeshProfile('demo').catch((e: unknown) => e);
    h.sim.control.clearFaults();
    expect(isThrottled(error)).toBe(true);
    expect(error).toMatchObject({
      statusCode: 429,
      armCode: 'TooManyRequests',
      retryAfterMs: 0,
      retryable: true,
      operation: 'clusterMeshProfiles.get',
    });
    const after = h.gateways.counters.snapshot()['clusterMeshProfiles.get'];
    const attempts = 1 + RETRY_OPTIONS.maxRetries;
    expect(after).toEqual({
      reads: (before?.reads ?? 0) + attempts,
      writes: before?.writes ?? 0,
      throttled: (before?.throttled ?? 0) + attempts,
      errors: (before?.errors ?? 0) + 1,
    });
  });

  it('retries a write whose connection was reset after it was committed (an idempotent PUT)', async () => {
    await h.gateways.traffic.createOrUpdateProfile(TM_RG, 'tm-pipeline', {
      location: 'global',
      profileStatus: 'Enabled',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-pipeline', ttl: 60 },
      monitorConfig: {
        protocol: 'TCP',
        port: 443,
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      },
    });
    h.sim.control.setFaults({
      overrides: [
        {
          match: { operations: ['trafficManagerEndpoints.createOrUpdate'] },
          ambiguousWriteRate: 1,
          ambiguousMode: 'reset',
          times: 1,
        },
      ],
    });
    const { value, calls } = await h.gateways.counters.track(() =>
      h.gateways.traffic.createOrUpdateEndpoint(TM_RG, 'tm-pipeline', 'AzureEndpoints', 'east', {
        targetResourceId: h.sub(
          '/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-east',
        ),
        endpointStatus: 'Enabled',
        weight: 5,
      }),
    );
    h.sim.control.clearFaults();
    expect(value.weight).toBe(5);
    expect(calls).toEqual({ reads: 0, writes: 2, throttled: 0, errors: 0 });
  });

  it('no response at all is status 0 (retryable), after the bounded retries', async () => {
    const port = await closedPort();
    const settings = settingsFor(h.sim, h.caFile, { FLEETMESH_ARM_ENDPOINT: `https://127.0.0.1:${port}` });
    const gateways = createGateways(settings, { pollIntervalMs: 10 });
    const error: unknown = await gateways.fleet.listMembers().catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 0, retryable: true, operation: 'fleetMembers.list' });
    expect(error instanceof Error && error.message).toContain('ECONNREFUSED');
    expect(gateways.counters.snapshot()['fleetMembers.list']).toEqual({
      reads: 1 + RETRY_OPTIONS.maxRetries,
      writes: 0,
      throttled: 0,
      errors: 1,
    });
  });

  it('trusts the simulator certificate for the ARM clients only; TLS verification stays on everywhere', async () => {
    const untrusting = createGateways(settingsFor(h.sim, h.caFile, { FLEETMESH_ARM_CA_FILE: ' ' }));
    const error: unknown = await untrusting.fleet.getMember('member-east').catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 0 });
    expect(error instanceof Error && error.message).toMatch(/self-signed certificate/);
    expect(process.env['NODE_TLS_REJECT_UNAUTHORIZED']).toBeUndefined();
    expect(globalAgent.options.ca).toBeUndefined();
    const plain = await new Promise<string>((resolve) => {
      httpsGet(`${h.sim.endpoint}/_sim`, (res) => resolve(String(res.statusCode))).on('error', (e) =>
        resolve(e.message),
      );
    });
    expect(plain).toMatch(/self-signed certificate/);
  });

  it('a CA file that cannot be read is a configuration error naming the setting', () => {
    const settings = settingsFor(h.sim, `${h.caFile}.missing`);
    expect(() => createGateways(settings)).toThrow(ConfigurationError);
    expect(() => createGateways(settings)).toThrow(/FLEETMESH_ARM_CA_FILE/);
  });
});

describe('counters', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions', pageSize: 2 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('track tells two concurrent scopes apart; the global counters hold both; reset clears them', async () => {
    h.gateways.counters.reset();
    const [a, b] = await Promise.all([
      h.gateways.counters.track(async () => {
        const members = await h.gateways.fleet.listMembers();
        await h.gateways.fleet.getMember('member-west');
        return members.length;
      }),
      h.gateways.counters.track(async () => {
        await Promise.all([1, 2, 3].map(() => h.gateways.fleet.getMeshProfile('demo')));
        await h.gateways.fleet.getMeshProfile('absent');
        return 'b';
      }),
    ]);
    expect(a).toEqual({ value: 3, calls: { reads: 3, writes: 0, throttled: 0, errors: 0 } });
    expect(b).toEqual({ value: 'b', calls: { reads: 4, writes: 0, throttled: 0, errors: 0 } });
    expect(h.gateways.counters.snapshot()).toEqual({
      'clusterMeshProfiles.get': { reads: 4, writes: 0, throttled: 0, errors: 0 },
      'fleetMembers.get': { reads: 1, writes: 0, throttled: 0, errors: 0 },
      'fleetMembers.list': { reads: 2, writes: 0, throttled: 0, errors: 0 },
    });
    // The simulator saw the same calls.
    const server = h.sim.control.counters();
    expect(server['fleetMembers.list']?.reads).toBe(2);
    h.gateways.counters.reset();
    expect(h.gateways.counters.snapshot()).toEqual({});
  });
});

describe('pacing with ARM throttling on', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions', throttling: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('255 concurrent endpoint PUTs stay inside the write bucket (200, 10/s): no 429', async () => {
    await h.gateways.traffic.createOrUpdateProfile(TM_RG, 'tm-fanout', {
      location: 'global',
      profileStatus: 'Enabled',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-fanout', ttl: 60 },
      monitorConfig: {
        protocol: 'TCP',
        port: 443,
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      },
    });
    const regions = ['east', 'west', 'central'];
    const results = await Promise.all(
      Array.from({ length: 255 }, (_, i) => {
        const region = regions[i % 3] ?? 'east';
        return h.gateways.traffic.createOrUpdateEndpoint(TM_RG, 'tm-fanout', 'AzureEndpoints', region, {
          targetResourceId: h.sub(
            `/resourceGroups/MC_rg-${region}_aks-${region}_${region}us/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-${region}`,
          ),
          endpointStatus: 'Enabled',
          weight: 1 + (i % 1000),
        });
      }),
    );
    expect(results).toHaveLength(255);
    expect(h.gateways.counters.snapshot()['trafficManagerEndpoints.createOrUpdate']).toEqual({
      reads: 0,
      writes: 255,
      throttled: 0,
      errors: 0,
    });
    expect(h.sim.control.counters()['trafficManagerEndpoints.createOrUpdate']?.throttled).toBe(0);
  });
});

describe('pacing follows the remaining-requests header', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    // ARM's bucket for this principal is much smaller than the client's (other processes share it).
    h = await startHarness({
      scenario: 'two-regions',
      throttling: { enabled: true, writes: { size: 20, refillPerSecond: 10 } },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('slows down to what ARM reports as remaining instead of drawing 429s', async () => {
    await h.gateways.traffic.createOrUpdateProfile(TM_RG, 'tm-small', {
      location: 'global',
      profileStatus: 'Enabled',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-small', ttl: 60 },
      monitorConfig: {
        protocol: 'TCP',
        port: 443,
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      },
    });
    const pip = h.sub(
      '/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-east',
    );
    await Promise.all(
      Array.from({ length: 45 }, (_, i) =>
        h.gateways.traffic.createOrUpdateEndpoint(TM_RG, 'tm-small', 'AzureEndpoints', 'east', {
          targetResourceId: pip,
          endpointStatus: 'Enabled',
          weight: i + 1,
        }),
      ),
    );
    expect(h.sim.control.counters()['trafficManagerEndpoints.createOrUpdate']).toMatchObject({ throttled: 0 });
    expect(h.gateways.counters.snapshot()['trafficManagerEndpoints.createOrUpdate']).toEqual({
      reads: 0,
      writes: 45,
      throttled: 0,
      errors: 0,
    });
  });
});
