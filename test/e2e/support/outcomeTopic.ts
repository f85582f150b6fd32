/**
 * A local stand-in for the Event Grid topic the app publishes its outcome CloudEvents to, for end-to-end tests where
 * the app runs in this process (the local host): an HTTPS receiver that records what it is sent (or refuses it), an
 * App Service-style managed identity endpoint the app's credential gets its Entra token from, and the app settings
 * that point the app at both.
 *
 * The app trusts only the usual root certificates for the topic (there is no CA setting for it), so `trust()` adds the
 * receiver's certificate to TLS contexts created without an explicit `ca` in this process while the test runs; TLS
 * verification itself stays on.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { generateServerCertificate } from '../../../local/simulator/cert.js';

export interface ReceivedEvent {
  readonly type: string;
  readonly source: string;
  readonly id: string;
  readonly subject: string;
  readonly data: Record<string, unknown>;
  readonly authorization: string | undefined;
}

export interface OutcomeTopic {
  /** App settings for the sandbox: the topic endpoint and the managed identity endpoint. */
  readonly appSettings: Readonly<Record<string, string>>;
  /** The token the identity endpoint hands out (the receiver sees it as `Bearer <token>`). */
  readonly token: string;
  /** Events accepted so far, in arrival order. */
  readonly received: ReceivedEvent[];
  /** Publish requests refused so far (while `refuseWith` is set). */
  refused: number;
  /** Answer every publish with this status instead of accepting it (null: accept). */
  refuseWith: number | null;
  /** Trusts the receiver's certificate in this process; returns the undo. */
  trust(): () => void;
  stop(): Promise<void>;
}

export async function startOutcomeTopic(): Promise<OutcomeTopic> {
  const cert = await generateServerCertificate();
  const token = `outcome-token-${randomBytes(8).toString('hex')}`;
  const identitySecret = randomBytes(16).toString('hex');
  const topic: Omit<OutcomeTopic, 'appSettings' | 'stop'> & { appSettings: Record<string, string> } = {
    appSettings: {},
    token,
    received: [],
    refused: 0,
    refuseWith: null,
    trust() {
      const original = tls.createSecureContext;
      tls.createSecureContext = (options?: tls.SecureContextOptions) =>
        original(options?.ca === undefined ? { ...options, ca: [...tls.rootCertificates, cert.certPem] } : options);
      return () => {
        tls.createSecureContext = original;
      };
    },
  };

  const receiver: HttpsServer = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      if (topic.refuseWith !== null) {
        topic.refused += 1;
        res.statusCode = topic.refuseWith;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'Forbidden', message: 'refused by the test topic' } }));
        return;
      }
      const batch = JSON.parse(text) as Omit<ReceivedEvent, 'authorization'>[];
      for (const e of batch) topic.received.push({ ...e, authorization: req.headers.authorization });
      res.statusCode = 200;
      res.end();
    });
  });
  const identity: HttpServer = createHttpServer((req, res) => {
    if (req.headers['x-identity-header'] !== identitySecret) {
      res.statusCode = 401;
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource: url.searchParams.get('resource') ?? '',
        token_type: 'Bearer',
        client_id: '00000000-0000-0000-0000-00000000c11e',
      }),
    );
  });
  await Promise.all([
    new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve)),
  ]);
  const receiverPort = (receiver.address() as AddressInfo).port;
  const identityPort = (identity.address() as AddressInfo).port;
  topic.appSettings = {
    FLEETMESH_OUTCOME_TOPIC_ENDPOINT: `https://127.0.0.1:${receiverPort}/api/events`,
    // DefaultAzureCredential, limited to the managed identity, finds App Service's identity endpoint.
    AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
    IDENTITY_ENDPOINT: `http://127.0.0.1:${identityPort}/msi/token`,
    IDENTITY_HEADER: identitySecret,
  };
  return Object.assign(topic, {
    async stop() {
      receiver.closeAllConnections();
      identity.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => receiver.close(resolve)),
        new Promise((resolve) => identity.close(resolve)),
      ]);
    },
  });
}
