import type { ApiClient } from '../api.js';
import type { Io } from '../io.js';
import type { Style } from '../render/style.js';

/** What every command gets: the API client, where to write, the output format, and the colour styles. */
export interface CommandContext {
  readonly client: ApiClient;
  readonly io: Io;
  readonly output: 'table' | 'json';
  /** For stdout. */
  readonly style: Style;
  /** For stderr (progress, notes). */
  readonly errStyle: Style;
}

/** Prints the result: JSON as the API sent it (parsed and checked), or the text rendering. */
export function print(ctx: CommandContext, json: unknown, text: () => string): void {
  ctx.io.stdout.write(ctx.output === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
}
