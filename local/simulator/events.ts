/**
 * Event Grid delivery of the ARM events `Microsoft.Resources.Resource{Write,Delete,Action}{Success,Failure}` (Event Grid
 * schema, data fields of reference §3.2) to webhook subscriptions, with the subscription filters `subjectBeginsWith`,
 * `subjectEndsWith` and `includedEventTypes` (case-insensitive), header `aeg-event-type: Notification`, batches sent as
 * a JSON array, retries with exponential backoff (simulated time), and optional duplication (`duplicateRate`, each
 * duplicated batch delivered `duplicateCopies` more times), reordering, and loss (`dropRate`: never delivered).
 *
 * Which writes produce events: every successful PUT, PATCH, DELETE or POST action ARM accepted, when it completes
 * (a long-running operation emits when it ends, `...Failure` if it failed). State changes the service makes on its
 * own (a member going Connected) emit nothing, as in ARM, where they are only visible through GET.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isScopeOf, tryParseResourceId } from '../../shared/arm/resourceId.js';
import type { SimClock } from './clock.js';
import type { SeededRandom } from './random.js';
import type { AccessEvidence } from './rbac/access.js';
import type { Settings } from './settings.js';
import type { Principal } from './world.js';

export const EventSubscriptionSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9-]{3,64}$/, 'must be 3-64 letters, digits or hyphens'),
    /** Webhook URL (http://localhost is allowed). */
    endpoint: z.url({ protocol: /^https?$/ }),
    /** Topic scope: the subscription (default) or a resource group id (`/subscriptions/{s}/resourceGroups/{rg}`). */
    scope: z.string().optional(),
    filter: z
      .object({
        subjectBeginsWith: z.string().optional(),
        subjectEndsWith: z.string().optional(),
        includedEventTypes: z.array(z.string()).optional(),
      })
      .strict()
      .default({}),
    /** Events per delivered array (Event Grid's default is 1). */
    maxEventsPerBatch: z.int().min(1).max(5000).default(1),
  })
  .strict();
export type EventSubscriptionInput = z.input<typeof EventSubscriptionSchema>;
export type EventSubscription = z.output<typeof EventSubscriptionSchema>;

export type ArmEventKind = 'write' | 'delete' | 'action';

export interface ArmEventSource {
  readonly kind: ArmEventKind;
  readonly succeeded: boolean;
  readonly resourceUri: string;
  readonly operationName: string;
  readonly principal: Principal;
  readonly evidence: AccessEvidence | undefined;
  readonly scope: string;
  readonly correlationId: string;
  readonly clientRequestId: string | undefined;
  readonly clientIp: string;
  readonly method: string;
  readonly url: string;
  /** Event Grid documents httpRequest as present only when updating an existing resource or deleting. */
  readonly includeHttpRequest: boolean;
}

export interface EventGridEvent {
  readonly id: string;
  readonly topic: string;
  readonly subject: string;
  readonly eventType: string;
  readonly eventTime: string;
  readonly data: Record<string, unknown>;
  readonly dataVersion: string;
  readonly metadataVersion: string;
}

export interface DeliveryRecord {
  readonly subscription: string;
  readonly eventIds: readonly string[];
  readonly attempt: number;
  readonly outcome: number | string;
  readonly at: string;
  readonly duplicate: boolean;
}

interface Batch {
  readonly events: EventGridEvent[];
  attempt: number;
  readonly duplicate: boolean;
}

interface SubscriptionState {
  readonly sub: EventSubscription;
  readonly topic: string;
  readonly queue: Batch[];
  inFlight: boolean;
  waiting: boolean;
}

export class EventHub {
  private readonly subscriptions = new Map<string, SubscriptionState>();
  private readonly produced: EventGridEvent[] = [];
  private readonly deliveries: DeliveryRecord[] = [];
  private readonly clock: SimClock;
  private readonly random: SeededRandom;
  private readonly settings: () => Settings;
  private readonly subscriptionId: () => string;
  private readonly tenantId: () => string;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: {
    clock: SimClock;
    random: SeededRandom;
    settings: () => Settings;
    subscriptionId: () => string;
    tenantId: () => string;
  }) {
    this.clock = options.clock;
    this.random = options.random;
    this.settings = options.settings;
    this.subscriptionId = options.subscriptionId;
    this.tenantId = options.tenantId;
  }

  addSubscription(input: EventSubscriptionInput): EventSubscription {
    const sub = EventSubscriptionSchema.parse(input);
    const topic = sub.scope ?? `/subscriptions/${this.subscriptionId()}`;
    this.subscriptions.set(sub.name.toLowerCase(), { sub, topic, queue: [], inFlight: false, waiting: false });
    return sub;
  }

  removeSubscription(name: string): boolean {
    return this.subscriptions.delete(name.toLowerCase());
  }

  listSubscriptions(): EventSubscription[] {
    return [...this.subscriptions.values()].map((s) => s.sub);
  }

  clearSubscriptions(): void {
    this.subscriptions.clear();
  }

  /** Every event produced so far (whether or not a subscription wanted it), oldest first. */
  events(): readonly EventGridEvent[] {
    return this.produced;
  }

  deliveryLog(): readonly DeliveryRecord[] {
    return this.deliveries;
  }

  clearLog(): void {
    this.produced.length = 0;
    this.deliveries.length = 0;
  }

  /** Builds the ARM event and queues it for every matching subscription. */
  emit(source: ArmEventSource): EventGridEvent {
    const verb = source.kind === 'write' ? 'Write' : source.kind === 'delete' ? 'Delete' : 'Action';
    const eventType = `Microsoft.Resources.Resource${verb}${source.succeeded ? 'Success' : 'Failure'}`;
    const parsed = tryParseResourceId(source.resourceUri);
    const p = source.principal;
    const claims: Record<string, string> = {
      aud: 'https://management.azure.com/',
      iss: `https://sts.windows.net/${this.tenantId()}/`,
      appid: p.clientId,
      appidacr: '2',
      idtyp: p.kind === 'User' ? 'user' : 'app',
      'http://schemas.microsoft.com/identity/claims/objectidentifier': p.objectId,
      'http://schemas.microsoft.com/identity/claims/tenantid': this.tenantId(),
      ...(p.kind === 'User' ? { name: p.name } : {}),
    };
    const data: Record<string, unknown> = {
      authorization: {
        scope: source.scope,
        action: source.operationName,
        evidence: source.evidence ?? {
          role: 'none (role enforcement is off and no role assignment grants this action)',
          principalId: p.objectId,
          principalType: p.kind === 'User' ? 'User' : 'ServicePrincipal',
        },
      },
      claims,
      correlationId: source.correlationId,
      ...(source.includeHttpRequest
        ? {
            httpRequest: {
              clientRequestId: source.clientRequestId ?? '',
              clientIpAddress: source.clientIp,
              method: source.method,
              url: source.url,
            },
          }
        : {}),
      resourceProvider: parsed?.provider ?? '',
      resourceUri: source.resourceUri,
      operationName: source.operationName,
      status: source.succeeded ? 'Succeeded' : 'Failed',
      subscriptionId: this.subscriptionId(),
      tenantId: this.tenantId(),
    };
    const event: EventGridEvent = {
      id: randomUUID(),
      topic: `/subscriptions/${this.subscriptionId()}`,
      subject: source.resourceUri,
      eventType,
      eventTime: this.clock.nowIso(),
      data,
      dataVersion: '2',
      metadataVersion: '1',
    };
    this.produced.push(event);
    if (this.produced.length > 10_000) this.produced.splice(0, this.produced.length - 10_000);
    for (const state of this.subscriptions.values()) {
      if (!wants(state, event)) continue;
      const perTopic = { ...event, topic: state.topic };
      const last = state.queue.at(-1);
      if (last && last.attempt === 0 && !last.duplicate && last.events.length < state.sub.maxEventsPerBatch) {
        last.events.push(perTopic);
      } else {
        state.queue.push({ events: [perTopic], attempt: 0, duplicate: false });
      }
      this.pump(state);
    }
    return event;
  }

  /** Waits until nothing is in flight (used by stop and tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private pump(state: SubscriptionState): void {
    if (this.stopped || state.inFlight || state.waiting || state.queue.length === 0) return;
    // Let events produced in the same tick join the batch before it leaves.
    state.waiting = true;
    setImmediate(() => {
      state.waiting = false;
      if (this.stopped || state.inFlight || state.queue.length === 0) return;
      const index = this.settings().events.reorder ? this.random.int(0, state.queue.length - 1) : 0;
      const [batch] = state.queue.splice(index, 1);
      if (!batch) return;
      state.inFlight = true;
      const task = this.deliver(state, batch).finally(() => {
        state.inFlight = false;
        this.inFlight.delete(task);
        this.pump(state);
      });
      this.inFlight.add(task);
    });
  }

  private record(state: SubscriptionState, batch: Batch, outcome: number | string): void {
    this.deliveries.push({
      subscription: state.sub.name,
      eventIds: batch.events.map((e) => e.id),
      attempt: batch.attempt,
      outcome,
      at: this.clock.nowIso(),
      duplicate: batch.duplicate,
    });
    if (this.deliveries.length > 10_000) this.deliveries.splice(0, this.deliveries.length - 10_000);
  }

  private async deliver(state: SubscriptionState, batch: Batch): Promise<void> {
    const dropRate = this.settings().events.dropRate;
    // Drawn only when drops are on, so runs without them keep their seeded sequence.
    if (batch.attempt === 0 && !batch.duplicate && dropRate > 0 && this.random.chance(dropRate)) {
      this.record(state, batch, 'dropped');
      return;
    }
    batch.attempt += 1;
    let outcome: number | string;
    try {
      const response = await fetch(state.sub.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'aeg-event-type': 'Notification',
          'aeg-subscription-name': state.sub.name.toUpperCase(),
          'aeg-delivery-count': String(batch.attempt - 1),
          'aeg-data-version': '2',
          'aeg-metadata-version': '1',
        },
        body: JSON.stringify(batch.events),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      outcome = response.status;
    } catch (error) {
      outcome = error instanceof Error ? `${error.name}: ${error.message}` : 'delivery failed';
    }
    this.record(state, batch, outcome);
    const delivered = typeof outcome === 'number' && outcome >= 200 && outcome < 300;
    const settings = this.settings().events;
    if (delivered) {
      if (!batch.duplicate && this.random.chance(settings.duplicateRate)) {
        for (let copy = 0; copy < settings.duplicateCopies; copy++) {
          state.queue.push({ events: batch.events, attempt: 0, duplicate: true });
        }
      }
      return;
    }
    if (batch.attempt >= settings.maxAttempts) return; // dropped (dead-lettering is not simulated)
    const delay = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** (batch.attempt - 1));
    this.clock.schedule(delay, () => {
      state.queue.unshift(batch);
      this.pump(state);
    });
  }
}

function wants(state: SubscriptionState, event: EventGridEvent): boolean {
  if (state.sub.scope !== undefined && !isScopeOf(state.sub.scope, event.subject)) return false;
  const f = state.sub.filter;
  const subject = event.subject.toLowerCase();
  if (f.subjectBeginsWith !== undefined && !subject.startsWith(f.subjectBeginsWith.toLowerCase())) return false;
  if (f.subjectEndsWith !== undefined && !subject.endsWith(f.subjectEndsWith.toLowerCase())) return false;
  if (f.includedEventTypes !== undefined && f.includedEventTypes.length > 0) {
    const type = event.eventType.toLowerCase();
    if (!f.includedEventTypes.some((t) => t.toLowerCase() === type)) return false;
  }
  return true;
}
