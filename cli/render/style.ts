/**
 * Colour for a terminal: on only when the stream is a TTY and `NO_COLOR` is not set (https://no-color.org), or when
 * `FORCE_COLOR` asks for it. Colour only emphasises: every state is also written out in words.
 */
import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

export interface Style {
  readonly enabled: boolean;
  paint(format: Format, text: string): string;
  /** A mesh or operation state coloured by what it means. */
  state(text: string | null | undefined): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function colourWanted(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return isTTY === true && env.TERM !== 'dumb';
}

const GOOD = new Set(['connected', 'succeeded', 'online', 'enabled', 'add', 'create', 'applynow']);
const BUSY = new Set([
  'connecting',
  'disconnecting',
  'pending',
  'running',
  'awaitingapproval',
  'converging',
  'checkingendpoint',
  'update',
  'enable',
  'awaitapproval',
  'warning',
]);
const BAD = new Set(['failed', 'rejected', 'error', 'degraded', 'stopped', 'remove', 'delete', 'disable', 'blocked']);

export function createStyle(enabled: boolean): Style {
  // The decision is made here (for the stream actually written to), so styleText must not second-guess it.
  const paint = (format: Format, text: string): string =>
    enabled ? styleText(format, text, { validateStream: false }) : text;
  return {
    enabled,
    paint,
    state(text) {
      const value = text ?? '-';
      const key = value.toLowerCase();
      if (GOOD.has(key)) return paint('green', value);
      if (BUSY.has(key)) return paint('yellow', value);
      if (BAD.has(key)) return paint('red', value);
      return value;
    },
    bold: (text) => paint('bold', text),
    dim: (text) => paint('dim', text),
  };
}
