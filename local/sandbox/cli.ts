/**
 * `npm start`: the offline sandbox. Starts the ARM simulator (`two-regions`), the embedded Cosmos DB server and the
 * local Functions host with this app, wires the simulator's events to `fleetEvents`, then narrates as the demo mesh
 * converges (including the member whose cluster identity lacks Network Contributor) and stays up until Ctrl+C.
 *
 * Options: --port N (default 7071), --time-factor N (default 10), --scenario NAME|FILE, --no-throttling.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { Narrator } from './narrator.js';
import { startSandbox } from './sandbox.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7071' },
    'time-factor': { type: 'string', default: '10' },
    scenario: { type: 'string', default: 'two-regions' },
    'no-throttling': { type: 'boolean', default: false },
  },
  strict: true,
});

function positive(name: string, text: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    console.error(
      `fleetmesh sandbox: --${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, not '${text}'`,
    );
    process.exit(2);
  }
  return n;
}

const port = positive('port', values.port, true);
const timeFactor = positive('time-factor', values['time-factor']);
const say = (line: string): void => {
  const time = new Date().toISOString().slice(11, 19);
  console.log(`[${time}] ${line}`);
};

const sandbox = await startSandbox({
  port,
  timeFactor,
  scenario: values.scenario,
  throttling: !values['no-throttling'],
});
const { apiBaseUrl, functionKey, armEndpoint, subscriptionId, meshProfile, certificateFile, operatorToken } = sandbox;
const rel = (p: string): string => path.relative(process.cwd(), p) || p;
const member = `${armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/${sandbox.resourceGroup}/providers/Microsoft.ContainerService/fleets/${sandbox.fleet}/members/member-central?api-version=2026-03-02-preview`;
console.log(`
fleetmesh sandbox is up (simulated Azure, ${timeFactor}x time).
  API            ${apiBaseUrl}          (function key: ${functionKey})
  Status page    ${apiBaseUrl}/ui#code=${functionKey}
  Command line   npm run fleetmesh -- status ${meshProfile}
  Simulated ARM  ${armEndpoint}  subscription ${subscriptionId}, fleet ${sandbox.resourceGroup}/${sandbox.fleet}
  Certificate    ${rel(certificateFile)}   Host log: ${rel(path.join(sandbox.stateDir, 'host.log'))}
  Facts for scripts: ${rel(path.join(sandbox.stateDir, 'sandbox.json'))}

Try:
  curl -s -H "x-functions-key: ${functionKey}" ${apiBaseUrl}/meshes/${meshProfile}
  curl -s -X POST -H "x-functions-key: ${functionKey}" ${apiBaseUrl}/meshes/${meshProfile}/plan
  # label the spare member into the mesh, as an operator would in Azure (fleetmesh reacts to the ARM event):
  curl -s --cacert ${rel(certificateFile)} -X PATCH -H "Authorization: Bearer ${operatorToken}" -H "Content-Type: application/json" \\
    -d '{"properties":{"labels":{"mesh":"demo","region":"central"}}}' '${member}'

Watching mesh '${meshProfile}' (Ctrl+C to stop):`);

const narrator = new Narrator(apiBaseUrl, functionKey, meshProfile, say);
const timer = setInterval(() => void narrator.tick(), 500);
let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  say('Stopping the sandbox...');
  void sandbox.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
