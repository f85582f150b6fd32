/**
 * Fault injection: error rates by HTTP status, a latency distribution, and ambiguous writes (the write is committed,
 * then the connection is reset or closed without a response), globally and per path pattern. Decisions come from the
 * simulator's seeded random source, in request arrival order, so a run with a fixed seed is reproducible.
 */
import { z } from 'zod';
import type { SeededRandom } from './random.js';

export const LatencySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('uniform'), minMs: z.number().min(0), maxMs: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('normal'), meanMs: z.number().min(0), stdDevMs: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('exponential'), meanMs: z.number().min(0) }).strict(),
]);
export type Latency = z.output<typeof LatencySchema>;

const rate = z.number().min(0).max(1);

const FaultEffectShape = {
  /** HTTP status (as a string key: "429", "500", "503", ...) → probability per request. */
  errorRates: z
    .record(z.string().regex(/^[45]\d\d$/, 'must be an HTTP status 400-599'), rate)
    .refine((r) => Object.values(r).reduce((a, b) => a + b, 0) <= 1, 'the error rates must add up to at most 1')
    .optional(),
  latency: LatencySchema.optional(),
  /** Probability that a write (PUT, PATCH, POST, DELETE) commits and then loses its response. */
  ambiguousWriteRate: rate.optional(),
  /** `reset` destroys the socket at once; `close` ends it cleanly (close_notify, FIN). Both send no response. */
  ambiguousMode: z.enum(['reset', 'close']).optional(),
  /** Retry-After (seconds) sent with injected 429 and 503 answers. */
  retryAfterSeconds: z.int().min(0).max(3600).optional(),
};

export const FaultRuleSchema = z
  .object({
    name: z.string().optional(),
    match: z
      .object({
        /** Regular expression (case-insensitive) tested against the request path without the query. */
        pathPattern: z
          .string()
          .refine((p) => {
            try {
              new RegExp(p, 'i');
              return true;
            } catch {
              return false;
            }
          }, 'must be a valid regular expression')
          .optional(),
        methods: z.array(z.enum(['GET', 'PUT', 'PATCH', 'POST', 'DELETE'])).optional(),
        /** Operation ids such as `clusterMeshProfiles.apply` (see OPERATION_ACTIONS). */
        operations: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    /** The rule applies to this many matching requests, then expires. */
    times: z.int().min(1).optional(),
    ...FaultEffectShape,
  })
  .strict();
export type FaultRule = z.output<typeof FaultRuleSchema>;

export const FaultConfigSchema = z
  .object({
    global: z.object(FaultEffectShape).strict().optional(),
    overrides: z.array(FaultRuleSchema).optional(),
  })
  .strict();
export type FaultConfig = z.output<typeof FaultConfigSchema>;

export interface FaultRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly operation: string;
  readonly isWrite: boolean;
}

export interface FaultDecision {
  readonly rule: string | undefined;
  readonly latencyMs: number;
  readonly errorStatus: number | undefined;
  readonly retryAfterSeconds: number;
  readonly ambiguous: 'reset' | 'close' | undefined;
}

interface ActiveRule {
  readonly rule: FaultRule;
  readonly pattern: RegExp | undefined;
  remaining: number | undefined;
}

export class FaultInjector {
  private global: FaultConfig['global'];
  private overrides: ActiveRule[] = [];

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  set(config: FaultConfig): void {
    this.global = config.global;
    this.overrides = (config.overrides ?? []).map((rule) => ({
      rule,
      pattern: rule.match?.pathPattern === undefined ? undefined : new RegExp(rule.match.pathPattern, 'i'),
      remaining: rule.times,
    }));
  }

  clear(): void {
    this.set({});
  }

  /** The configuration as it stands (expired rules removed, `times` showing what is left). */
  snapshot(): FaultConfig {
    return {
      ...(this.global ? { global: this.global } : {}),
      overrides: this.overrides.map((a) => ({
        ...a.rule,
        ...(a.remaining === undefined ? {} : { times: a.remaining }),
      })),
    };
  }

  decide(request: FaultRequestInfo, random: SeededRandom): FaultDecision | undefined {
    const active = this.overrides.find((a) => matches(a, request));
    let effect: FaultConfig['global'];
    let ruleName: string | undefined;
    if (active) {
      if (active.remaining !== undefined) {
        active.remaining -= 1;
        if (active.remaining <= 0) this.overrides = this.overrides.filter((a) => a !== active);
      }
      effect = active.rule;
      ruleName = active.rule.name ?? active.rule.match?.pathPattern ?? 'override';
    } else {
      effect = this.global;
      ruleName = 'global';
    }
    if (!effect) return undefined;
    const latencyMs = effect.latency ? sampleLatency(effect.latency, random) : 0;
    let errorStatus: number | undefined;
    if (effect.errorRates) {
      const u = random.next();
      let acc = 0;
      for (const [status, p] of Object.entries(effect.errorRates).sort(([a], [b]) => a.localeCompare(b))) {
        acc += p;
        if (u < acc) {
          errorStatus = Number(status);
          break;
        }
      }
    }
    let ambiguous: FaultDecision['ambiguous'];
    if (errorStatus === undefined && request.isWrite && effect.ambiguousWriteRate !== undefined) {
      if (random.chance(effect.ambiguousWriteRate)) ambiguous = effect.ambiguousMode ?? 'reset';
    }
    return { rule: ruleName, latencyMs, errorStatus, retryAfterSeconds: effect.retryAfterSeconds ?? 1, ambiguous };
  }
}

function matches(active: ActiveRule, request: FaultRequestInfo): boolean {
  const m = active.rule.match;
  if (!m) return true;
  if (active.pattern && !active.pattern.test(request.path)) return false;
  if (m.methods && !m.methods.includes(request.method as 'GET')) return false;
  if (m.operations && !m.operations.includes(request.operation)) return false;
  return true;
}

function sampleLatency(latency: Latency, random: SeededRandom): number {
  switch (latency.kind) {
    case 'fixed':
      return latency.ms;
    case 'uniform':
      return latency.minMs + random.next() * Math.max(0, latency.maxMs - latency.minMs);
    case 'normal':
      return Math.max(0, latency.meanMs + random.normal() * latency.stdDevMs);
    case 'exponential':
      return random.exponential(latency.meanMs);
  }
}

/** ARM error code and message for an injected status. */
export function injectedError(status: number): { code: string; message: string } {
  switch (status) {
    case 429:
      return {
        code: 'TooManyRequests',
        message:
          'The request is being throttled (injected fault). Please retry after the time in the Retry-After header.',
      };
    case 500:
      return { code: 'InternalServerError', message: 'Encountered internal server error (injected fault).' };
    case 502:
      return { code: 'BadGateway', message: 'The gateway received an invalid response (injected fault).' };
    case 503:
      return { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable (injected fault).' };
    case 504:
      return { code: 'GatewayTimeout', message: 'The gateway did not receive a response in time (injected fault).' };
    case 408:
      return { code: 'RequestTimeout', message: 'The request timed out (injected fault).' };
    case 409:
      return { code: 'AnotherOperationInProgress', message: 'Another operation is in progress (injected fault).' };
    default:
      return { code: 'InjectedFault', message: `Injected fault with status ${status}.` };
  }
}
