/**
 * Outcome events through the real `@azure/eventgrid` publisher client, to a local HTTPS receiver standing in for the
 * Event Grid topic: CloudEvents 1.0 in batch mode, with the fleet as `source`, the orchestration's deterministic ids,
 * and the Entra bearer token of the app's credential (no access key).
 */
import { createServer, type Server } from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateServerCertificate } from '../../../../local/simulator/cert.js';
import { createLogger } from '../../../../shared/log.js';
import { createOutcomePublisher } from '../../../../shared/services/outcomes.js';

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly url: string;
}

const received: Received[] = [];
let server: Server;
let endpoint: string;
let ca: string;

const credential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: 'entra-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

beforeAll(async () => {
  const cert = await generateServerCertificate();
  ca = cert.certPem;
  server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as unknown, url: req.url ?? '' });
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  endpoint = `https://127.0.0.1:${address.port}/api/events`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('outcome events', () => {
  it('publishes CloudEvents with the fleet as source, the deterministic id and an Entra token', async () => {
    const publisher = createOutcomePublisher({
      endpoint,
      credential,
      source: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f',
      logger: createLogger({ sink: () => undefined }),
      clientOptions: { tlsOptions: { ca } },
    });
    expect(publisher.enabled).toBe(true);
    await publisher.publish({
      type: 'fleetmesh.member.remediated',
      subject: 'meshes/demo/members/member-west',
      id: 'demo.1:member-west:remediated',
      time: '2026-11-25T00:00:00.000Z',
      data: { profile: 'demo', member: 'member-west', steps: ['grantNetworkContributor', 'reconcileCluster'] },
    });
    expect(received).toHaveLength(1);
    const request = received[0];
    expect(request?.headers.authorization).toBe('Bearer entra-token');
    expect(request?.headers['aeg-sas-key']).toBeUndefined();
    expect(String(request?.headers['content-type'])).toMatch(/^application\/cloudevents-batch\+json/);
    expect(request?.body).toEqual([
      {
        specversion: '1.0',
        type: 'fleetmesh.member.remediated',
        source: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f',
        id: 'demo.1:member-west:remediated',
        time: '2026-11-25T00:00:00.000Z',
        subject: 'meshes/demo/members/member-west',
        datacontenttype: 'application/json',
        data: { profile: 'demo', member: 'member-west', steps: ['grantNetworkContributor', 'reconcileCluster'] },
      },
    ]);
  });

  it('publishes nothing, and says so, without a topic', async () => {
    const before = received.length;
    const publisher = createOutcomePublisher({
      endpoint: undefined,
      credential,
      source: 'fleet',
      logger: createLogger({ sink: () => undefined }),
    });
    expect(publisher.enabled).toBe(false);
    await publisher.publish({
      type: 'fleetmesh.apply.failed',
      subject: 's',
      id: 'x',
      time: '2026-11-25T00:00:00.000Z',
      data: {},
    });
    expect(received).toHaveLength(before);
  });
});
