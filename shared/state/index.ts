// Public surface of the state store (docs/state.md).
export * from './documents.js';
export * from './store.js';
export * from './errors.js';
export { STATE_CONTAINERS, ensureContainers, verifyContainers, type StateContainerDefinition } from './containers.js';
export { createCosmosClient, cosmosClientOptions, type CosmosClientOverrides } from './client.js';
export { createCosmosStateStore, type CosmosStateStoreOptions } from './cosmosStore.js';
