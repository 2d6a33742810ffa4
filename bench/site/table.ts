import type { FigureRow } from './figures.ts';

/** Digits by the row's size, so one row reads alike across targets; counts stay whole. */
function digitsFor(values: readonly (number | undefined)[]): number {
  const known = values.filter((value): value is number => value !== undefined && !Number.isNaN(value));
  if (known.every(Number.isInteger)) return 0;
  const largest = Math.max(...known.map(Math.abs));
  return largest >= 100 ? 0 : largest >= 10 ? 1 : 2;
}

function formatValue(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The ratio, and who did better given which way is good (by the medians when the ratio is undefined). */
function comparison(row: FigureRow): [string, string] {
  const [ours, theirs] = row.values;
  if (ours === undefined || theirs === undefined || Number.isNaN(ours) || Number.isNaN(theirs)) return ['', ''];
  const above = row.ratio === undefined ? Math.sign(ours - theirs) : Math.sign(row.ratio - 1);
  const better = above === 0 ? '=' : above > 0 === (row.better === 'higher') ? 'ours' : 'theirs';
  return [row.ratio === undefined ? '' : row.ratio.toFixed(2), better];
}

/** A plain-text table: one line per figure, a column per target, and with two targets the ratio (see FigureRow.ratio). */
export function siteTable(names: readonly string[], rows: readonly FigureRow[]): string {
  const compare = names.length === 2;
  const header = ['measure', ...names, ...(compare ? [`${names[0]}/${names[1]}`, 'better'] : [])];
  const lines = rows.map((row) => {
    const digits = digitsFor(row.values);
    return [
      `${row.measure}: ${row.unit}`,
      ...row.values.map((value) => formatValue(value, digits)),
      ...(compare ? comparison(row) : []),
    ];
  });
  const widths = header.map((cell, column) => Math.max(cell.length, ...lines.map((line) => line[column]!.length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...lines.map(render)].join('\n');
}
