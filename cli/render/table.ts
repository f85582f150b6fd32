/**
 * Tables in the Azure CLI's `--output table` style (a header, a dashed rule, one line per row; no box), drawn by
 * cli-table3. Cells are plain text: colour, when on, is added to the words themselves, never as the only signal.
 */
import Table from 'cli-table3';

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '-',
  'mid-mid': '  ',
  right: '',
  'right-mid': '',
  middle: '  ',
} as const;

export type Cell = string | number | null | undefined;

export function table(head: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const t = new Table({
    head: [...head],
    chars: BORDERLESS,
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) t.push(row.map((c) => (c === null || c === undefined ? '' : String(c))));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
