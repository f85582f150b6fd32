// `npm run simulator -- [options]`: starts the built simulator (dist/local/simulator/cli.js) at once when dist is
// current, and compiles first only when it is not: right after `npm ci`, or after an edit to a file the simulator
// is built from.
//
// Plain JavaScript, because it runs before anything is compiled. "Current" means every file the simulator CLI
// imports (followed from local/simulator/cli.ts through relative imports, JSON scenario files included) has its
// output in dist and that output is not older than the source. Checking takes a few milliseconds; a full
// `npm run build` takes ten seconds or more, which is why this script does not run it. When something is stale it
// compiles the simulator's own files only (local/simulator/tsconfig.build.json: the same compiler options as the
// project build, so the output is the same files `npm run build` writes).
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = join(root, 'local/simulator/cli.ts');
const dist = join(root, 'dist');
const CONFIGS = ['tsconfig.json', 'local/simulator/tsconfig.build.json'].map((f) => join(root, f));

/** Relative import specifiers of a module (static imports and re-exports, `import type` included). */
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The first source file, with the output it should have, whose output is missing or older; undefined if none. */
function firstStale() {
  const newestConfig = Math.max(...CONFIGS.map((f) => mtime(f) ?? 0));
  const seen = new Set();
  const queue = [entry];
  while (queue.length > 0) {
    const source = queue.pop();
    if (seen.has(source)) continue;
    seen.add(source);
    const isJson = source.endsWith('.json');
    const output = join(dist, relative(root, isJson ? source : source.replace(/\.ts$/, '.js')));
    const sourceTime = mtime(source);
    const outputTime = mtime(output);
    if (sourceTime === undefined) return { source, output, reason: 'its source is missing' };
    if (outputTime === undefined) return { source, output, reason: 'not built yet' };
    if (outputTime < sourceTime || outputTime < newestConfig) return { source, output, reason: 'changed since built' };
    if (isJson) continue;
    for (const match of readFileSync(source, 'utf8').matchAll(IMPORT)) {
      const specifier = match[1];
      const target = resolve(dirname(source), specifier);
      queue.push(target.endsWith('.js') ? target.replace(/\.js$/, '.ts') : target);
    }
  }
  return undefined;
}

const stale = firstStale();
if (stale !== undefined) {
  const started = Date.now();
  console.error(
    `simulator: compiling the simulator (${relative(root, stale.source)}: ${stale.reason}; dist is otherwise reused)…`,
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'local/simulator/tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('simulator: the simulator does not compile (errors above); fix them or run `npm run build`.');
    process.exit(1);
  }
  console.error(`simulator: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await import(pathToFileURL(join(dist, 'local/simulator/cli.js')).href);
