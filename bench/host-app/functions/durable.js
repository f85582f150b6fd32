// The bench's throughput app: activities that do nothing but return, so the figures are the host's own cost
// (replay, history, scheduling, persistence). Same durable concurrency as fleetmesh's host.json (10 activities,
// 5 orchestrator episodes at a time).
import * as df from 'durable-functions';

df.app.activity('echo', { handler: (input) => input });

/** `count` activities at once (Task.all): activities per second. */
df.app.orchestration('fanOut', function* (context) {
  const { count } = context.df.getInput();
  const tasks = [];
  for (let i = 0; i < count; i++) tasks.push(context.df.callActivity('echo', i));
  const results = yield context.df.Task.all(tasks);
  return results.length;
});

/** One activity: many of these started at once measure orchestrations per second. */
df.app.orchestration('single', function* (context) {
  return yield context.df.callActivity('echo', context.df.getInput());
});
