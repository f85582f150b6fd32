// `npm start`: the offline sandbox. It is assembled by the reconciler work (simulator + Cosmos server + local host).
console.error('fleetmesh sandbox: not built yet. See README "What works today".');
process.exitCode = 1;
