/** Durable status reads that treat "no such instance" as undefined (getStatus throws on 404 in durable-functions v3). */
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

export async function instanceStatus(
  client: DurableClient,
  instanceId: string,
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId);
  } catch (e) {
    if (e instanceof Error && /404/.test(e.message)) return undefined;
    throw e;
  }
}
