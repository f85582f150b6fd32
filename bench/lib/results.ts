/**
 * What the runner reads of each worker's result line: the fields it puts in tables and targets, checked with zod (the
 * rest of the result passes through to the JSON file untouched).
 */
import { z } from 'zod';

const Counts = z.looseObject({ reads: z.number(), writes: z.number(), throttled: z.number() });
const Arm = Counts.extend({ byOperation: z.record(z.string(), Counts) });
const Memory = z.looseObject({ rssMiB: z.number() });
const History = z.looseObject({
  largest: z.looseObject({ events: z.number(), name: z.string() }).nullable(),
});

export const ConvergeFigures = z.looseObject({
  missingRole: z.number(),
  convergedSimSeconds: z.number(),
  convergedWallSeconds: z.number(),
  lowerBound: z.looseObject({ seconds: z.number(), formula: z.string(), definition: z.string() }),
  ratioToLowerBound: z.number(),
  issueLowerBound: z.looseObject({ seconds: z.number() }),
  ratioToIssueLowerBound: z.number(),
  arm: Arm,
  memory: Memory,
  history: History,
});
export type ConvergeFigures = z.output<typeof ConvergeFigures>;

export const RunbookFigures = z.looseObject({
  missingRole: z.number(),
  convergedSimSeconds: z.number(),
  convergedWallSeconds: z.number(),
  lowerBound: z.looseObject({ seconds: z.number(), formula: z.string() }),
  arm: Arm,
  memory: Memory,
});
export type RunbookFigures = z.output<typeof RunbookFigures>;

export const StormFigures = z.looseObject({
  events: z.number(),
  eventSpreadWallSeconds: z.number(),
  appliesTriggered: z.number(),
  lastEventToPlanSeconds: z.number(),
  debounceSeconds: z.number(),
  lastEventToConvergedSeconds: z.number(),
  arm: Arm,
  history: History,
});
export type StormFigures = z.output<typeof StormFigures>;

export const NoopFigures = z.looseObject({
  members: z.number(),
  arm: Arm,
  cycleWallSeconds: z.number(),
  debounceSeconds: z.number(),
  history: History,
});
export type NoopFigures = z.output<typeof NoopFigures>;

export const HostFigures = z.looseObject({
  activities: z.number(),
  activitiesPerSecond: z.number(),
  orchestrations: z.number(),
  orchestrationsPerSecond: z.number(),
});
export type HostFigures = z.output<typeof HostFigures>;
