/**
 * The embedded Cosmos-protocol server (`@zeit/cosmosdb-server`, in memory) started in-process on loopback, with a
 * certificate generated at start. The caller trusts that certificate for this endpoint only (pass
 * `certificatePem` as `caPem` to `createCosmosClient`, or write it to a file named by FLEETMESH_COSMOS_CA_FILE).
 *
 * `createHttpsServer(opts)` spreads `opts` over its defaults, so our `key`/`cert` replace the certificate bundled
 * in the package (a fixed certificate for CN=cosmosdb that expired in January 2021).
 *
 * What the server does and does not do (read from its source, 0.13.4): databases, containers, documents (create,
 * read, replace, upsert, delete with `If-Match` → 412, create on an existing id → 409), SQL queries, batches.
 * No PATCH, no TTL expiry (the store checks `expiresAt` itself), no authentication (any key is accepted), every
 * request costs "1 RU".
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:https';
import { createHttpsServer } from '@zeit/cosmosdb-server';
import { generate } from 'selfsigned';

export interface EmbeddedCosmosServer {
  /** `https://127.0.0.1:{port}/` (the loopback address, so no name resolution is involved). */
  readonly endpoint: string;
  /** A random account key: the server ignores it, the client signs requests with it. */
  readonly key: string;
  /** The server's self-signed certificate (PEM), valid for 127.0.0.1, ::1 and localhost. */
  readonly certificatePem: string;
  /** Closes the server and its connections; the data is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface StartCosmosServerOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
}

export async function startCosmosServer(options: StartCosmosServerOptions = {}): Promise<EmbeddedCosmosServer> {
  const host = options.host ?? '127.0.0.1';
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 30 * 24 * 3600_000);
  const pems = await generate([{ name: 'commonName', value: 'fleetmesh-local-cosmos' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const server: Server = createHttpsServer({ key: pems.private, cert: pems.cert });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('embedded Cosmos server: no TCP address');
  const { port } = address;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `https://${hostInUrl}:${port}/`,
    key: randomBytes(48).toString('base64'),
    certificatePem: pems.cert,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
