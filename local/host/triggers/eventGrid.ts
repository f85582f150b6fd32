/**
 * Event Grid deliveries to `/runtime/webhooks/eventgrid?functionName=NAME`, as the Event Grid extension reads them:
 * the `aeg-event-type` header says SubscriptionValidation (answer `{"validationResponse": code}`), Notification or
 * Unsubscribe; the body is an array of Event Grid schema events, or CloudEvents v1.0 (one event as
 * `application/cloudevents+json`, or an array as `application/cloudevents-batch+json`). Pure: no I/O.
 */
import { isRecord } from '../worker/rpc.js';

export type EventGridDelivery =
  | { kind: 'validation'; validationCode: string }
  | { kind: 'unsubscribe' }
  | { kind: 'events'; schema: 'EventGridSchema' | 'CloudEventSchemaV1_0'; events: Record<string, unknown>[] }
  | { kind: 'invalid'; message: string };

const VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

function checkStrings(event: Record<string, unknown>, fields: readonly string[], where: string): string | undefined {
  for (const field of fields) {
    const value = event[field];
    if (typeof value !== 'string' || value === '') return `${where}: "${field}" must be a non-empty string`;
  }
  return undefined;
}

export function parseEventGridDelivery(
  headers: { eventType: string | undefined; contentType: string | undefined },
  body: string,
): EventGridDelivery {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body) as unknown;
  } catch {
    return { kind: 'invalid', message: 'the request body is not JSON' };
  }
  const eventType = headers.eventType?.trim();
  const isCloudEventsContent = /application\/cloudevents(-batch)?\+json/i.test(headers.contentType ?? '');
  if (eventType === undefined || eventType === '') {
    if (!isCloudEventsContent) {
      return {
        kind: 'invalid',
        message: 'missing header aeg-event-type (Notification, SubscriptionValidation or Unsubscribe)',
      };
    }
  } else if (eventType.toLowerCase() === 'unsubscribe') {
    return { kind: 'unsubscribe' };
  } else if (eventType.toLowerCase() === 'subscriptionvalidation') {
    const first = Array.isArray(parsed) ? (parsed as unknown[])[0] : parsed;
    if (!isRecord(first) || !isRecord(first.data) || typeof first.data.validationCode !== 'string') {
      return {
        kind: 'invalid',
        message: 'subscription validation: expected [{ "data": { "validationCode": "..." } }]',
      };
    }
    if (first.eventType !== undefined && first.eventType !== VALIDATION_EVENT) {
      return { kind: 'invalid', message: `subscription validation: eventType must be ${VALIDATION_EVENT}` };
    }
    return { kind: 'validation', validationCode: first.data.validationCode };
  } else if (eventType.toLowerCase() !== 'notification') {
    return { kind: 'invalid', message: `unknown aeg-event-type "${eventType}"` };
  }

  const items: unknown[] = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
  if (!Array.isArray(parsed) && !(isRecord(parsed) && 'specversion' in parsed)) {
    return { kind: 'invalid', message: 'expected a JSON array of events (or a single CloudEvent)' };
  }
  if (items.length === 0) return { kind: 'invalid', message: 'the event array is empty' };
  const events: Record<string, unknown>[] = [];
  let schema: 'EventGridSchema' | 'CloudEventSchemaV1_0' | undefined;
  for (const [index, item] of items.entries()) {
    const where = `event ${index}`;
    if (!isRecord(item)) return { kind: 'invalid', message: `${where} is not an object` };
    const itemSchema = 'specversion' in item ? 'CloudEventSchemaV1_0' : 'EventGridSchema';
    if (schema !== undefined && schema !== itemSchema) {
      return { kind: 'invalid', message: `${where} mixes CloudEvents and Event Grid schema events in one delivery` };
    }
    schema = itemSchema;
    const problem =
      itemSchema === 'CloudEventSchemaV1_0'
        ? (checkStrings(item, ['id', 'source', 'type', 'specversion'], where) ??
          (item.specversion === '1.0' ? undefined : `${where}: specversion must be "1.0"`))
        : checkStrings(item, ['id', 'eventType', 'subject', 'eventTime'], where);
    if (problem) return { kind: 'invalid', message: problem };
    events.push(item);
  }
  return { kind: 'events', schema: schema ?? 'EventGridSchema', events };
}
