export * from './parse.js';
export * from './common.js';
export * from './fleet.js';
export * from './cluster.js';
export * from './network.js';
export * from './authorization.js';
export * from './traffic.js';
