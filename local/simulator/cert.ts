/**
 * The TLS certificate the simulator serves: generated at start (selfsigned, EC P-256, SHA-256), valid for
 * `localhost`, `127.0.0.1` and `::1`. Clients trust exactly this certificate (pass the PEM as `ca`), never by turning
 * verification off.
 */
import { generate } from 'selfsigned';

export interface ServerCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export async function generateServerCertificate(): Promise<ServerCertificate> {
  const now = new Date();
  const result = await generate([{ name: 'commonName', value: 'fleetmesh-simulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { certPem: result.cert, keyPem: result.private };
}
