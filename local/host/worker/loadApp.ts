/**
 * Loads an app directory the way the worker does: `package.json` `main` is a file or a glob (e.g.
 * `dist/functions/*.js`); each matching file is imported while the current entry point is recorded, so registrations
 * know their script file. ES modules and CommonJS both load through `import()`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import type { WorkerRuntime } from './coreApi.js';
import { isRecord } from './rpc.js';

export class AppLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

export async function readPackageMain(appDir: string): Promise<string> {
  const file = path.join(appDir, 'package.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err: unknown) {
    throw new AppLoadError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isRecord(parsed) || typeof parsed.main !== 'string' || parsed.main.trim() === '') {
    throw new AppLoadError(`${file} has no "main" (the entry point file or glob, e.g. "dist/functions/*.js")`);
  }
  return parsed.main;
}

export async function loadApp(appDir: string, runtime: WorkerRuntime): Promise<string[]> {
  const main = await readPackageMain(appDir);
  const files = (await glob(main, { cwd: appDir, absolute: true, onlyFiles: true })).sort();
  if (files.length === 0) {
    throw new AppLoadError(`package.json "main" (${main}) matches no file in ${appDir} (did you build the app?)`);
  }
  for (const file of files) {
    runtime.currentEntryPoint = file;
    try {
      await import(pathToFileURL(file).href);
    } catch (err: unknown) {
      throw new AppLoadError(
        `the app failed to load entry point "${path.relative(appDir, file)}": ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    } finally {
      runtime.currentEntryPoint = undefined;
    }
  }
  return files;
}
