/**
 * Runs ONE benchmark scenario in this process and prints its result as one line `RESULT <json>` on stdout.
 *
 * Each scenario gets a fresh process because the local host is one per process (`@azure/functions` keeps
 * module-level state) and so that peak memory is that scenario's alone. `bench/run.ts` spawns this file.
 *
 *   node dist/bench/worker.js '{"kind":"converge","members":10,"missingRole":1,"seed":7,"timeFactor":1}'
 */
import { z } from 'zod';
import { runConverge } from './scenarios/converge.js';
import { runRunbook } from './scenarios/runbook.js';
import { runStorm } from './scenarios/storm.js';
import { runNoop } from './scenarios/noop.js';
import { runHostThroughput } from './scenarios/host.js';

export const WorkSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('converge'),
    members: z.int().min(1).max(255),
    missingRole: z.int().min(0),
    seed: z.int(),
    timeFactor: z.number().positive(),
  }),
  z.object({
    kind: z.literal('runbook'),
    members: z.int().min(1).max(255),
    missingRole: z.int().min(0),
    seed: z.int(),
    timeFactor: z.number().positive(),
  }),
  z.object({
    kind: z.literal('storm'),
    members: z.int().min(1).max(255),
    windowSeconds: z.number().positive(),
    seed: z.int(),
    timeFactor: z.number().positive(),
  }),
  z.object({
    kind: z.literal('noop'),
    members: z.int().min(1).max(255),
    seed: z.int(),
    timeFactor: z.number().positive(),
  }),
  z.object({
    kind: z.literal('host'),
    activities: z.int().min(1),
    orchestrations: z.int().min(1),
    store: z.enum(['memory', 'files']),
  }),
]);
export type Work = z.output<typeof WorkSchema>;

async function main(): Promise<void> {
  const work = WorkSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  let result: unknown;
  switch (work.kind) {
    case 'converge':
      result = await runConverge(work);
      break;
    case 'runbook':
      result = await runRunbook(work);
      break;
    case 'storm':
      result = await runStorm(work);
      break;
    case 'noop':
      result = await runNoop(work);
      break;
    case 'host':
      result = await runHostThroughput(work);
      break;
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
