/** The local Functions host's public API (used by the sandbox, tests and `cli.ts`). */
export { startHost } from './host.js';
export type { FunctionSummary, HostHandle, StartHostOptions } from './host.js';
export type { HostKeys } from './config/keys.js';
export type { InstanceHistoryStats } from './durable/engine.js';
