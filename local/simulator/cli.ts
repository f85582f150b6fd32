/**
 * `npm run simulator -- --scenario NAME|FILE --port PORT --cert-out FILE [options]`
 *
 * Starts the simulator alone and prints the ARM endpoint, the subscription id, the tokens of the scenario's
 * principals and the admin token of `/_sim/`; writes the certificate (PEM) where asked. Runs until interrupted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { ScenarioError } from './scenario/schema.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from './simulator.js';

const USAGE = `Usage: npm run simulator -- [options]

  --scenario NAME|FILE   two-regions (default), generated:N[?overlay=1&missingRole=2&...], or a JSON scenario file
  --port PORT            port on 127.0.0.1 (default: a free port)
  --cert-out FILE        write the server certificate (PEM) to FILE, for clients to trust
  --time-factor N        simulated seconds per real second (default 1; 0 pauses)
  --seed N               seed of fault injection, jitter and event duplication
  --page-size N          page size of list operations
  --enforce-roles        answer 403 when the caller lacks a role granting the action
  --no-throttling        switch ARM throttling off
  --subscription-id ID   pin the subscription id
  --admin-token TOKEN    pin the /_sim/ admin token
  --json                 print the connection details as one JSON line
  --verbose              log every ARM request (JSON lines on stdout)
  --help                 this text`;

/** A bad command line (as opposed to a failure while starting). */
class UsageError extends Error {}

function isUsageError(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  return (
    e instanceof UsageError ||
    e instanceof ScenarioError ||
    (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
  );
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

/** The simulator once it listens, so a failure after that point can stop it before exiting. */
let running: RunningSimulator | undefined;

/** Writes the certificate, creating its directory (`.fleetmesh/` is not in a fresh clone: it is gitignored). */
function writeCertificate(file: string, pem: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, pem, { mode: 0o644 });
  } catch (error) {
    throw new Error(`cannot write the certificate to '${file}': ${ensureError(error).message}`, { cause: error });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      port: { type: 'string' },
      'cert-out': { type: 'string' },
      'time-factor': { type: 'string' },
      seed: { type: 'string' },
      'page-size': { type: 'string' },
      'enforce-roles': { type: 'boolean' },
      'no-throttling': { type: 'boolean' },
      'subscription-id': { type: 'string' },
      'admin-token': { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = intOption('port', values.port);
  const timeFactor = intOption('time-factor', values['time-factor']);
  const seed = intOption('seed', values.seed);
  const pageSize = intOption('page-size', values['page-size']);
  const scenarioName = values.scenario ?? 'two-regions';
  const options: SimulatorOptions = {
    scenario: scenarioName,
    ...(port === undefined ? {} : { port }),
    ...(timeFactor === undefined ? {} : { timeFactor }),
    ...(seed === undefined ? {} : { seed }),
    ...(pageSize === undefined ? {} : { pageSize }),
    ...(values['enforce-roles'] ? { enforceRoles: true } : {}),
    ...(values['no-throttling'] ? { throttling: false } : {}),
    ...(values['subscription-id'] ? { subscriptionId: values['subscription-id'] } : {}),
    ...(values['admin-token'] ? { adminToken: values['admin-token'] } : {}),
    ...(values.verbose ? { logger: createLogger({ minLevel: 'debug', fields: { component: 'simulator' } }) } : {}),
  };
  const sim = await startSimulator(options);
  running = sim;
  if (values['cert-out']) writeCertificate(values['cert-out'], sim.certificatePem);
  const principals = sim.control.principals();
  const details = {
    endpoint: sim.endpoint,
    subscriptionId: sim.subscriptionId,
    tenantId: sim.tenantId,
    certificate: values['cert-out'] ?? null,
    adminToken: sim.adminToken,
    principals: Object.values(principals)
      .filter((p) => p.token !== undefined)
      .map((p) => ({ name: p.name, objectId: p.objectId, clientId: p.clientId, token: p.token })),
    startupMs: sim.startupMs,
  };
  if (values.json) {
    console.log(JSON.stringify(details));
  } else {
    console.log(`fleetmesh ARM simulator (scenario ${scenarioName}) ready in ${sim.startupMs} ms`);
    console.log(`  ARM endpoint     ${sim.endpoint}`);
    console.log(`  subscription id  ${sim.subscriptionId}`);
    console.log(`  tenant id        ${sim.tenantId}`);
    console.log(`  certificate      ${values['cert-out'] ?? '(not written: pass --cert-out FILE)'}`);
    console.log(`  control API      ${sim.endpoint}/_sim/  (admin token ${sim.adminToken})`);
    console.log('  tokens (Authorization: Bearer <token>):');
    for (const p of details.principals)
      console.log(`    ${p.name.padEnd(12)} ${p.token ?? ''}  (object id ${p.objectId})`);
    console.log('Local test tokens only; press Ctrl+C to stop.');
  }
  const stop = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * Any start error ends the process with status 1: a simulator already listening is stopped first (never left
 * running without having printed its endpoint), with a bound so a stuck close cannot hang the exit.
 */
main().catch(async (error: unknown) => {
  const e = ensureError(error);
  console.error(e instanceof ScenarioError ? e.message : `simulator: ${e.message}`);
  if (isUsageError(e)) console.error('Run with --help for usage.');
  const sim = running;
  running = undefined;
  if (sim) {
    await Promise.race([
      sim.stop().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
  }
  process.exit(1);
});
