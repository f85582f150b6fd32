import { describe, expect, it } from 'vitest';
import { activityTriggerMetadata, eventGridTriggerMetadata } from '../../../../local/host/worker/triggerMetadata.js';

describe('trigger metadata as the Functions host sends it', () => {
  it('gives an activity instanceId, its input under the trigger name (bound as a string) and data (as JSON)', () => {
    expect(activityTriggerMetadata('activityTriggerX', 'i1', '{"A":1}')).toEqual({
      instanceId: { string: 'i1' },
      activityTriggerX: { string: '{"A":1}' },
      data: { json: '{"A":1}' },
    });
    // a JSON string value is bound as its text
    expect(activityTriggerMetadata('t', 'i1', '"123"')).toEqual({
      instanceId: { string: 'i1' },
      t: { string: '123' },
      data: { json: '"123"' },
    });
    // no input: null binding data is left out, as the host does
    expect(activityTriggerMetadata('t', 'i1', null)).toEqual({ instanceId: { string: 'i1' } });
    expect(activityTriggerMetadata('t', 'i1', 'null')).toEqual({ instanceId: { string: 'i1' } });
  });

  it("gives an Event Grid event its data, and nothing when it has none (CloudEvents' data_base64)", () => {
    expect(eventGridTriggerMetadata({ id: '1', eventType: 't', data: { x: [1] } })).toEqual({
      data: { json: '{"x":[1]}' },
    });
    expect(eventGridTriggerMetadata({ id: '1', specversion: '1.0', data_base64: 'AA==' })).toEqual({});
  });
});
