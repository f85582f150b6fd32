/**
 * `npm run host -- --app DIR --port PORT [--data DIR] [--keys FILE] [--settings FILE] [--hostname ADDR]`
 *
 * Runs any Azure Functions Node v4 app directory locally. Prints one JSON line on stdout when ready
 * (`{"event":"ready","url":...}`); logs go to stderr as JSON lines. SIGINT/SIGTERM stop it gracefully.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger } from '../../shared/log.js';
import { hostKeysSchema } from './config/keys.js';
import { startHost } from './host.js';

const USAGE =
  'usage: npm run host -- --app DIR [--port 7071] [--data DIR] [--keys keys.json] [--settings settings.json] [--hostname 127.0.0.1]';

async function readJsonFile(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err: unknown) {
    throw new Error(`${what} ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      port: { type: 'string', default: '7071' },
      data: { type: 'string' },
      keys: { type: 'string' },
      settings: { type: 'string' },
      hostname: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.app) throw new Error(`--app is required\n${USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port "${values.port}" is not a port number`);
  const keys = values.keys ? hostKeysSchema.parse(await readJsonFile(values.keys, '--keys')) : undefined;
  const settings = values.settings
    ? z.record(z.string(), z.string()).parse(await readJsonFile(values.settings, '--settings'))
    : undefined;
  const logger = createLogger({
    fields: { component: 'local-host' },
    sink: (_level, line) => process.stderr.write(`${line}\n`),
  });
  const host = await startHost({
    appDir: values.app,
    port,
    hostname: values.hostname,
    ...(values.data ? { dataDir: values.data } : {}),
    ...(keys ? { keys } : {}),
    ...(settings ? { settings } : {}),
    logger,
  });
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', url: host.url, hub: host.hubName, resumedInstances: host.resumedInstances, functions: host.functions })}\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    host.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('stop failed', { error: err });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ event: 'failed', error: err instanceof Error ? err.message : String(err) })}\n`,
  );
  process.exit(1);
});
