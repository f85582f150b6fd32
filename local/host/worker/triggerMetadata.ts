/**
 * The trigger metadata of an InvocationRequest, per trigger type, as the Functions host fills it: the trigger
 * binding's binding data, each value converted to RPC typed data (strings as `string`, everything else as `json`;
 * null values and the in-memory `sys` entry left out). `@azure/functions` turns it into `context.triggerMetadata`,
 * camel-casing keys and object keys (`fromRpcTriggerMetadata`); it ignores it for HTTP and timer triggers, so those
 * get none here.
 */
import type { RpcTypedData } from './rpc.js';

/**
 * An activity's binding data (durable extension, ActivityTriggerAttributeBindingProvider): `instanceId` (the
 * orchestration instance), the trigger's own name (the input bound as a string: a JSON string value as its text,
 * anything else as JSON text) and `data` (the input as JSON).
 */
export function activityTriggerMetadata(
  triggerName: string,
  instanceId: string,
  inputJson: string | null,
): Record<string, RpcTypedData> {
  const metadata: Record<string, RpcTypedData> = { instanceId: { string: instanceId } };
  if (inputJson === null || inputJson === 'null') return metadata;
  let asString = inputJson;
  try {
    const value: unknown = JSON.parse(inputJson);
    if (typeof value === 'string') asString = value;
  } catch {
    // not JSON: bound as it is
  }
  metadata[triggerName] = { string: asString };
  metadata.data = { json: inputJson };
  return metadata;
}

/**
 * An Event Grid event's binding data (Event Grid extension, EventGridTriggerAttributeBindingProvider): `data`, the
 * event's `data` property (Event Grid and CloudEvents schemas alike), when it has one. The extension exposes no other
 * event property as binding data; the handler reads them from the event itself.
 */
export function eventGridTriggerMetadata(event: Readonly<Record<string, unknown>>): Record<string, RpcTypedData> {
  const data = event.data;
  if (data === undefined || data === null) return {};
  return { data: { json: JSON.stringify(data) } };
}
