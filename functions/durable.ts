/**
 * Registers the orchestrations and the activities. Activity handlers come from the composition root's factory; the
 * orchestrators are the deterministic generators in `orchestrations/`.
 */
import * as df from 'durable-functions';
import { convergeBatch } from '../orchestrations/convergeBatch.js';
import { meshApply } from '../orchestrations/meshApply.js';
import { meshReconciler } from '../orchestrations/meshReconciler.js';
import { memberConverge } from '../orchestrations/memberConverge.js';
import { Activities, Orchestrations } from '../orchestrations/names.js';
import { getRoot } from '../shared/runtime/root.js';

df.app.orchestration(Orchestrations.meshReconciler, meshReconciler);
df.app.orchestration(Orchestrations.meshApply, meshApply);
df.app.orchestration(Orchestrations.convergeBatch, convergeBatch);
df.app.orchestration(Orchestrations.memberConverge, memberConverge);

const root = getRoot();
for (const name of Object.values(Activities)) {
  const handler = root.activities.get(name);
  if (!handler) throw new Error(`activity ${name} has no handler`);
  df.app.activity(name, { handler: (input: unknown) => handler(input) });
}
