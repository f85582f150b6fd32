/**
 * Event Grid intake for the `fleetEvents` function: one delivered event (Event Grid or CloudEvents 1.0 schema) →
 * a typed intent, or an "ignored" result with a reason that names the offending field. Pure: no network, no clock,
 * and it never throws for bad input.
 *
 * What is acted on (reference §3): ARM `Microsoft.Resources.ResourceWriteSuccess | ResourceDeleteSuccess |
 * ResourceActionSuccess` events whose subject is a fleet member (`…/fleets/{fleet}/members/{m}`) or a cluster mesh
 * profile (`…/fleets/{fleet}/clusterMeshProfiles/{p}`) of the configured fleet. ARM ids are compared
 * case-insensitively (subjects mix `resourcegroups` and `resourceGroups`). ARM events carry no resource payload: an
 * intent only says "look again".
 */
import {
  EventGridDeserializer,
  isSystemEvent,
  type CloudEvent,
  type EventGridEvent,
  type KnownSystemEventTypes,
} from '@azure/eventgrid';
import { z } from 'zod';
import { tryParseResourceId, type ParsedResourceId } from '../arm/resourceId.js';
import type { Settings } from '../config/settings.js';
import { ProfileNameSchema } from '../state/documents.js';

/** The fleet this deployment manages. */
export interface FleetScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly fleetName: string;
}

export function fleetScopeFromSettings(
  settings: Pick<Settings, 'subscriptionId' | 'fleetResourceGroup' | 'fleetName'>,
): FleetScope {
  return {
    subscriptionId: settings.subscriptionId,
    resourceGroup: settings.fleetResourceGroup,
    fleetName: settings.fleetName,
  };
}

export const AcceptedEventTypes = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
] as const satisfies readonly KnownSystemEventTypes[];
export type AcceptedEventType = (typeof AcceptedEventTypes)[number];

/** What happened to the resource: PUT/PATCH, DELETE, or POST of an action (for example a profile's `apply`). */
export type ArmChange = 'write' | 'delete' | 'action';
export type EventSchemaName = 'EventGrid' | 'CloudEvents';

interface IntentBase {
  /** The event id (use it for dedup: `StateStore.markEventProcessed`). */
  readonly eventId: string;
  readonly eventType: AcceptedEventType;
  readonly change: ArmChange;
  /** `data.operationName`, for example `Microsoft.ContainerService/fleets/members/write`. */
  readonly operationName: string | undefined;
  /** `data.correlationId` of the ARM request. */
  readonly correlationId: string | undefined;
  /** ISO 8601; undefined when a CloudEvent has no `time`. */
  readonly eventTime: string | undefined;
  /** The resource id as the subject gave it (without a trailing action segment). */
  readonly resourceId: string;
  readonly schema: EventSchemaName;
}

export interface MemberIntent extends IntentBase {
  readonly kind: 'member';
  /** Fleet member name, lower-cased (ARM names of members are lower-case; ids compare case-insensitively). */
  readonly member: string;
}

export interface ProfileIntent extends IntentBase {
  readonly kind: 'profile';
  /** Cluster mesh profile name, lower-cased. */
  readonly profile: string;
}

export type FleetIntent = MemberIntent | ProfileIntent;

/** The resync timer's "look again": like a member event, it can concern every managed mesh. */
export interface ResyncIntent {
  readonly kind: 'resync';
}

export interface IgnoredEvent {
  readonly kind: 'ignored';
  /** Why, in plain words, naming the field (`subject`, `topic`, `data.subscriptionId`, ...). */
  readonly reason: string;
  /** The field the reason is about. */
  readonly field: string;
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
}

export type FleetEventResult = FleetIntent | IgnoredEvent;

const deserializer = new EventGridDeserializer();
const JsonRecordSchema = z.record(z.string(), z.unknown());

/** The `data` fields of the ARM events (reference §3.2) that fleetmesh reads; all optional, types checked. */
const ArmEventDataSchema = z.object({
  subscriptionId: z.string().optional(),
  resourceGroup: z.string().optional(),
  resourceUri: z.string().optional(),
  resourceProvider: z.string().optional(),
  operationName: z.string().optional(),
  status: z.string().optional(),
  correlationId: z.string().optional(),
  tenantId: z.string().optional(),
});

const CHANGE: Readonly<Record<AcceptedEventType, ArmChange>> = {
  'Microsoft.Resources.ResourceWriteSuccess': 'write',
  'Microsoft.Resources.ResourceDeleteSuccess': 'delete',
  'Microsoft.Resources.ResourceActionSuccess': 'action',
};

/**
 * A common view of both schemas after the SDK validated the envelope. `data` is the delivered value, not the SDK's:
 * the SDK deserializes `data` as a dictionary and so turns a string into `{0:'h',1:'e',...}` and a number into
 * `{}`, which would hide malformed data.
 */
interface Envelope {
  readonly schema: EventSchemaName;
  readonly id: string;
  readonly type: string;
  readonly acceptedType: AcceptedEventType | undefined;
  readonly subject: string | undefined;
  readonly topic: string | undefined;
  readonly time: Date | undefined;
  readonly data: unknown;
  /** Field names in this schema, for reasons. */
  readonly fields: { readonly type: string; readonly topic: string; readonly time: string };
}

/**
 * Parses one delivered event (the object the Functions host hands an Event Grid trigger, or one element of a
 * webhook body). Never throws: anything unusable comes back as `{ kind: 'ignored', reason, field }`.
 */
export async function parseFleetEvent(raw: unknown, scope: FleetScope): Promise<FleetEventResult> {
  const record = JsonRecordSchema.safeParse(raw);
  if (!record.success || Array.isArray(raw)) {
    return ignored(`an event must be a JSON object, got ${describeType(raw)}`, '(event)', undefined, undefined);
  }
  const envelope = await deserialize(record.data);
  if ('kind' in envelope) return envelope;
  try {
    return interpret(envelope, scope);
  } catch (error) {
    // Defensive: interpret is written not to throw; a bug must still not crash the trigger.
    const message = error instanceof Error ? error.message : String(error);
    return ignored(`event could not be interpreted: ${message}`, '(event)', envelope.id, envelope.type);
  }
}

/**
 * Parses a webhook body: a JSON string, an array of events or one event. A body that is not JSON is one ignored
 * result naming `(body)`.
 */
export async function parseFleetEvents(body: unknown, scope: FleetScope): Promise<FleetEventResult[]> {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return [ignored(`body is not JSON: ${message}`, '(body)', undefined, undefined)];
    }
  }
  const events: readonly unknown[] = Array.isArray(value) ? value : [value];
  return Promise.all(events.map((event) => parseFleetEvent(event, scope)));
}

/**
 * The mesh profiles an intent can affect, given the profiles the app knows (managed meshes). A member change can
 * affect any profile (its labels may now match or stop matching a selector, or it may be in a mesh), and a resync
 * looks at every one; a profile change affects that profile only, known or not (a new profile). Names compare
 * case-insensitively; the known spelling is returned. No duplicates; the order of `knownProfiles` is kept.
 */
export function profilesAffectedBy(intent: FleetIntent | ResyncIntent, knownProfiles: readonly string[]): string[] {
  const unique = new Map<string, string>();
  for (const p of knownProfiles) if (!unique.has(p.toLowerCase())) unique.set(p.toLowerCase(), p);
  if (intent.kind !== 'profile') return [...unique.values()];
  return [unique.get(intent.profile.toLowerCase()) ?? intent.profile];
}

/** Where the managed mesh profiles are found (names only). */
export interface ProfileSources {
  /** The profiles fleetmesh keeps a mesh view or a policy for (Cosmos DB). */
  readonly stored: () => Promise<readonly string[]>;
  /** The fleet's cluster mesh profiles, from ARM (what the resync timer signals). */
  readonly fleet: () => Promise<readonly string[]>;
}

/**
 * The profiles to signal for an intent. A profile event names its profile (nothing to read). A member event, and the
 * resync timer, can affect every managed mesh: the fleet's mesh profiles from ARM united with the profiles fleetmesh
 * keeps state for (so the event path and the timer signal the same profiles). The stored ones alone are not enough:
 * after a fresh deployment nothing is stored yet, and a label change must still reach the reconciler of a profile
 * that exists in ARM; a stored profile gone from ARM is signalled too, and its reconciler records that it is gone.
 * Sorted by name. A failed read throws: the caller fails the delivery (Event Grid sends it again) or the timer run.
 */
export async function profilesToSignal(intent: FleetIntent | ResyncIntent, sources: ProfileSources): Promise<string[]> {
  if (intent.kind === 'profile') return profilesAffectedBy(intent, []);
  const [stored, fleet] = await Promise.all([sources.stored(), sources.fleet()]);
  return profilesAffectedBy(
    intent,
    [...stored, ...fleet].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

// ---------------------------------------------------------------------------------------------------------------

async function deserialize(record: Record<string, unknown>): Promise<Envelope | IgnoredEvent> {
  const isCloudEvent = 'specversion' in record;
  const id = typeof record.id === 'string' ? record.id : undefined;
  const rawType = isCloudEvent ? record.type : record.eventType;
  const type = typeof rawType === 'string' ? rawType : undefined;
  try {
    if (isCloudEvent) {
      const [event] = await deserializer.deserializeCloudEvents(record);
      if (!event) return ignored('no event in the payload', '(event)', id, type);
      // Binary data (`data_base64`) comes back decoded as a Uint8Array; anything else is taken as delivered.
      return fromCloudEvent(event, event.data instanceof Uint8Array ? event.data : record.data);
    }
    const [event] = await deserializer.deserializeEventGridEvents(record);
    if (!event) return ignored('no event in the payload', '(event)', id, type);
    return fromEventGridEvent(event, record.data);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const schema = isCloudEvent ? 'CloudEvents 1.0' : 'Event Grid';
    return ignored(`malformed ${schema} event: ${message}`, fieldOfSdkError(message, isCloudEvent), id, type);
  }
}

function fromEventGridEvent(event: EventGridEvent<unknown>, data: unknown): Envelope {
  return {
    schema: 'EventGrid',
    id: event.id,
    type: event.eventType,
    acceptedType: AcceptedEventTypes.find((t) => isSystemEvent(t, event)),
    subject: event.subject,
    topic: event.topic,
    time: event.eventTime,
    data,
    fields: { type: 'eventType', topic: 'topic', time: 'eventTime' },
  };
}

function fromCloudEvent(event: CloudEvent<unknown>, data: unknown): Envelope {
  return {
    schema: 'CloudEvents',
    id: event.id,
    type: event.type,
    acceptedType: AcceptedEventTypes.find((t) => isSystemEvent(t, event)),
    subject: event.subject,
    topic: event.source,
    time: event.time,
    data,
    fields: { type: 'type', topic: 'source', time: 'time' },
  };
}

/** The SDK names the property in its messages; the two schema-version messages name none. */
function fieldOfSdkError(message: string, isCloudEvent: boolean): string {
  const named = /property '([A-Za-z_]+)/.exec(message);
  if (named?.[1]) return named[1];
  if (/Cloud Event 1\.0 schema/.test(message)) return 'specversion';
  if (/Event Grid schema/.test(message)) return 'metadataVersion';
  if (/data_base64|data/.test(message)) return isCloudEvent ? 'data_base64' : 'data';
  return '(event)';
}

function interpret(e: Envelope, scope: FleetScope): FleetEventResult {
  const skip = (reason: string, field: string): IgnoredEvent => ignored(reason, field, e.id, e.type);
  const f = e.fields;

  // 0. An id to deduplicate on (the SDK takes an empty one).
  if (e.id.trim() === '') return skip('id is empty: an event needs an id (redeliveries are recognised by it)', 'id');

  // 1. Event type: only the three ARM success events.
  if (!e.acceptedType) {
    if (/^Microsoft\.Resources\.Resource(Write|Delete|Action)(Failure|Cancel)$/.test(e.type)) {
      return skip(`${f.type} '${e.type}' reports a failed or canceled ARM operation: nothing changed`, f.type);
    }
    if (e.type === 'Microsoft.EventGrid.SubscriptionValidationEvent') {
      return skip(`${f.type} '${e.type}' is the subscription handshake, answered by the Functions host`, f.type);
    }
    return skip(
      `${f.type} '${e.type}' is not an ARM resource success event (${AcceptedEventTypes.join(', ')})`,
      f.type,
    );
  }

  // 2. Time (the SDK turns an unparsable time into an invalid Date instead of failing).
  if (e.time !== undefined && Number.isNaN(e.time.getTime())) return skip(`${f.time} is not a valid timestamp`, f.time);

  // 3. Data: an object whose known fields have the right types.
  if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data) || e.data instanceof Uint8Array) {
    return skip(`data must be a JSON object with the ARM event fields, got ${describeType(e.data)}`, 'data');
  }
  const data = ArmEventDataSchema.safeParse(e.data);
  if (!data.success) {
    const issue = data.error.issues[0];
    const field = `data.${issue?.path.map(String).join('.') ?? ''}`;
    return skip(`${field} ${issue?.message ?? 'is invalid'}`, field);
  }

  // 4. Subject: the ARM id of the resource (an action's subject may end in the action name: tolerate it).
  if (e.subject === undefined || e.subject === '')
    return skip('subject is missing: it must be the ARM resource id', 'subject');
  const target = parseSubject(e.subject, e.acceptedType);
  if (!target) return skip(`subject '${e.subject}' is not an ARM resource id`, 'subject');

  if (!same(target.subscriptionId, scope.subscriptionId)) {
    return skip(
      `subject is in subscription ${target.subscriptionId}, not the fleet's subscription ${scope.subscriptionId}`,
      'subject',
    );
  }
  if (!same(target.resourceGroup, scope.resourceGroup)) {
    return skip(
      `subject is in resource group '${target.resourceGroup ?? '(none)'}', not the fleet's '${scope.resourceGroup}'`,
      'subject',
    );
  }
  const [fleetSeg, childSeg, ...deeper] = target.segments;
  if (!same(target.provider, 'Microsoft.ContainerService') || !fleetSeg || !same(fleetSeg.type, 'fleets')) {
    return skip(`subject is a ${target.fullType ?? 'resource group'}, not a fleet member or mesh profile`, 'subject');
  }
  if (!same(fleetSeg.name, scope.fleetName)) {
    return skip(`subject is in fleet '${fleetSeg.name}', not the configured fleet '${scope.fleetName}'`, 'subject');
  }
  const childType = childSeg?.type.toLowerCase();
  if (!childSeg || deeper.length > 0 || (childType !== 'members' && childType !== 'clustermeshprofiles')) {
    return skip(`subject is a ${target.fullType ?? 'fleet'}, not a fleet member or mesh profile`, 'subject');
  }

  // 5. Consistency of the envelope and data with the subject, when present.
  if (e.topic === undefined || e.topic === '') return skip(`${f.topic} is missing`, f.topic);
  const topic = tryParseResourceId(e.topic);
  if (!topic) return skip(`${f.topic} '${e.topic}' is not an ARM subscription or resource group id`, f.topic);
  if (!same(topic.subscriptionId, scope.subscriptionId)) {
    return skip(`${f.topic} is subscription ${topic.subscriptionId}, not the fleet's subscription`, f.topic);
  }
  if (
    topic.resourceGroup !== undefined &&
    topic.provider === undefined &&
    !same(topic.resourceGroup, scope.resourceGroup)
  ) {
    return skip(
      `${f.topic} is resource group '${topic.resourceGroup}', not the fleet's '${scope.resourceGroup}'`,
      f.topic,
    );
  }
  const d = data.data;
  if (d.subscriptionId !== undefined && !same(d.subscriptionId, scope.subscriptionId)) {
    return skip(
      `data.subscriptionId ${d.subscriptionId} does not match the subject's subscription`,
      'data.subscriptionId',
    );
  }
  if (d.resourceGroup !== undefined && d.resourceGroup !== '' && !same(d.resourceGroup, scope.resourceGroup)) {
    return skip(
      `data.resourceGroup '${d.resourceGroup}' does not match the subject's resource group`,
      'data.resourceGroup',
    );
  }
  if (d.resourceUri !== undefined && !sameId(d.resourceUri, target.id) && !sameId(d.resourceUri, e.subject)) {
    return skip(`data.resourceUri '${d.resourceUri}' is not the subject '${e.subject}'`, 'data.resourceUri');
  }

  const base: IntentBase = {
    eventId: e.id,
    eventType: e.acceptedType,
    change: CHANGE[e.acceptedType],
    operationName: d.operationName,
    correlationId: d.correlationId,
    eventTime: e.time?.toISOString(),
    resourceId: target.id,
    schema: e.schema,
  };
  if (childType === 'members') return { kind: 'member', member: childSeg.name.toLowerCase(), ...base };
  const profile = childSeg.name.toLowerCase();
  if (!ProfileNameSchema.safeParse(profile).success) {
    return skip(`subject names '${childSeg.name}', which is not a cluster mesh profile name`, 'subject');
  }
  return { kind: 'profile', profile, ...base };
}

function parseSubject(subject: string, type: AcceptedEventType): ParsedResourceId | undefined {
  const trimmed = subject.replace(/\/+$/, '');
  const parsed = tryParseResourceId(trimmed);
  if (parsed) return parsed;
  if (type !== 'Microsoft.Resources.ResourceActionSuccess') return undefined;
  const withoutAction = trimmed.slice(0, trimmed.lastIndexOf('/'));
  return withoutAction ? tryParseResourceId(withoutAction) : undefined;
}

function same(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function sameId(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

function ignored(
  reason: string,
  field: string,
  eventId: string | undefined,
  eventType: string | undefined,
): IgnoredEvent {
  return { kind: 'ignored', reason, field, eventId, eventType };
}

function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'binary data';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
