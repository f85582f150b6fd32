/**
 * Structured logging: a constant message plus fields (mesh, member, operationId, outcome, latencyMs, ...).
 * One JSON object per line. Secrets never go in fields: `redact` masks the usual suspects defensively.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export type LogSink = (level: LogLevel, line: string) => void;

/**
 * Field names whose values are masked: credentials by name (`token`, `functionKey`, `authorization`, `sig`, ...).
 * Error `code`s are not secrets and stay readable; function keys travel as `functionKey`/`key`, never as `code`.
 */
const SECRET_KEY =
  /(^key$|token|secret|password|passwd|apikey|accesskey|functionkey|masterkey|systemkey|connectionstring|authorization|signature|^sig$)/i;
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function redact(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null ? '[redacted]' : v;
  }
  return out;
}

export function createLogger(
  options: { sink?: LogSink; minLevel?: LogLevel; fields?: LogFields; now?: () => Date } = {},
): Logger {
  const sink: LogSink =
    options.sink ??
    ((level, line) => {
      if (level === 'error' || level === 'warn') process.stderr.write(`${line}\n`);
      else process.stdout.write(`${line}\n`);
    });
  const min = LEVELS[options.minLevel ?? 'info'];
  const base = options.fields ?? {};
  const now = options.now ?? (() => new Date());
  const write = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (LEVELS[level] < min) return;
    const record = { time: now().toISOString(), level, message, ...redact({ ...base, ...fields }) };
    sink(level, JSON.stringify(record, errorReplacer));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code: unknown = Reflect.get(value, 'code');
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}
