import type { FigureRow } from './figures.ts';

function formatValue(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  const digits = Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** ours ÷ theirs, and who did better given which way is good; nothing when either is missing or zero. */
function comparison(row: FigureRow): [string, string] {
  const [ours, theirs] = row.values;
  if (ours === undefined || theirs === undefined || theirs === 0 || Number.isNaN(ours) || Number.isNaN(theirs)) return ['', ''];
  const better = ours === theirs ? '=' : (ours > theirs) === (row.better === 'higher') ? 'ours' : 'theirs';
  return [`${(ours / theirs).toFixed(2)}`, better];
}

/** A plain-text table: one line per figure, a column per target, and with two targets the ratio. */
export function siteTable(names: readonly string[], rows: readonly FigureRow[]): string {
  const compare = names.length === 2;
  const header = ['measure', ...names, ...(compare ? [`${names[0]}/${names[1]}`, 'better'] : [])];
  const lines = rows.map((row) => [`${row.measure}: ${row.unit}`, ...row.values.map(formatValue), ...(compare ? comparison(row) : [])]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...lines.map((line) => line[column]!.length)));
  const render = (cells: readonly string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...lines.map(render)].join('\n');
}
