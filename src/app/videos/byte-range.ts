/** What an HTTP Range header asks of a file whose size is not known yet. */
export type RangeRequest =
  | { readonly kind: 'whole' }
  | { readonly kind: 'from'; readonly start: number; readonly end?: number }
  | { readonly kind: 'suffix'; readonly length: number };

const SINGLE = /^bytes=(\d*)-(\d*)$/;
// An end or suffix past any file means "to the end" (RFC 9110): clamped, not refused with 416.
const offset = (digits: string): number => Math.min(Number(digits), Number.MAX_SAFE_INTEGER);

/**
 * One `bytes=` range, or the whole file. A header we do not understand (another unit, several
 * ranges, nonsense) is ignored, as RFC 9110 allows: the answer is then the whole file, never an error.
 */
export function parseRange(header: string | undefined): RangeRequest {
  const match = header === undefined ? null : SINGLE.exec(header.trim());
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') return { kind: 'suffix', length: offset(last) };
  const start = Number(first);
  if (last === '') return { kind: 'from', start };
  const end = offset(last);
  return end < start ? { kind: 'whole' } : { kind: 'from', start, end };
}
