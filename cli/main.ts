#!/usr/bin/env node
/** `fleetmesh`: the operator's command line for the fleetmesh API (docs/operator.md). */
import { nodeIo } from './io.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), nodeIo());
