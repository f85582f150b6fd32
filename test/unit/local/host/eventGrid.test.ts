import { describe, expect, it } from 'vitest';
import { parseEventGridDelivery } from '../../../../local/host/triggers/eventGrid.js';

const eg = { id: '1', eventType: 'T', subject: '/s', eventTime: '2024-01-01T00:00:00Z', data: {}, dataVersion: '1' };
const ce = { specversion: '1.0', id: '1', source: '/s', type: 'T', data: {} };
const note = { eventType: 'Notification', contentType: 'application/json' };

describe('Event Grid deliveries', () => {
  it('recognises the subscription validation handshake', () => {
    const body = JSON.stringify([
      { ...eg, eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: { validationCode: 'c' } },
    ]);
    expect(parseEventGridDelivery({ eventType: 'SubscriptionValidation', contentType: undefined }, body)).toEqual({
      kind: 'validation',
      validationCode: 'c',
    });
  });

  it('reads Event Grid schema arrays and CloudEvents, single and batch', () => {
    expect(parseEventGridDelivery(note, JSON.stringify([eg, { ...eg, id: '2' }]))).toMatchObject({
      kind: 'events',
      schema: 'EventGridSchema',
      events: [{ id: '1' }, { id: '2' }],
    });
    expect(
      parseEventGridDelivery({ eventType: undefined, contentType: 'application/cloudevents+json' }, JSON.stringify(ce)),
    ).toMatchObject({ kind: 'events', schema: 'CloudEventSchemaV1_0', events: [{ id: '1' }] });
    expect(parseEventGridDelivery(note, JSON.stringify([ce, { ...ce, id: '2' }]))).toMatchObject({
      kind: 'events',
      schema: 'CloudEventSchemaV1_0',
    });
  });

  it.each([
    [note, 'not json', 'the request body is not JSON'],
    [note, '[]', 'the event array is empty'],
    [note, '{"id":"1"}', 'expected a JSON array of events'],
    [note, JSON.stringify([{ ...eg, subject: 5 }]), 'event 0: "subject" must be a non-empty string'],
    [note, JSON.stringify([eg, ce]), 'event 1 mixes CloudEvents and Event Grid schema events'],
    [note, JSON.stringify([{ ...ce, specversion: '0.3' }]), 'event 0: specversion must be "1.0"'],
    [{ eventType: undefined, contentType: 'application/json' }, '[]', 'missing header aeg-event-type'],
    [{ eventType: 'Bogus', contentType: undefined }, '[]', 'unknown aeg-event-type "Bogus"'],
    [{ eventType: 'SubscriptionValidation', contentType: undefined }, '[{}]', 'subscription validation: expected'],
  ])('rejects a bad delivery with a message (%#)', (headers, body, message) => {
    const result = parseEventGridDelivery(headers, body);
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' ? result.message : '').toContain(message);
  });
});
