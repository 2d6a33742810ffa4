import { z } from 'zod';
import { parseTime } from '../../../as-of/point.ts';
import { categoryOf } from '../../../message-store/index.ts';
import { hasControlCharacter } from '../control-characters.ts';
import type { BrowseFilters, BrowseQuery } from '../../../message-queries/browse.ts';
import { parseGlobalPosition } from '../../../message-queries/stored.ts';

// Message DB's own rules: a category has no dash, a stream name has one.
const category = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9+]*)*$/,
    'a category is letters and digits, with :command and the like, and no dash',
  );
// The id after the dash is anything printable: a control character (NUL above all) is no id PostgreSQL would take.
const stream = z
  .string()
  .max(500)
  .regex(/^[A-Za-z][A-Za-z0-9:+]*-[^\u0000-\u001f\u007f]+$/, 'a stream name is a category, a dash and an id');
const type = z
  .string()
  .max(200)
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a message type is letters and digits');
const freeId = z
  .string()
  .max(200)
  .refine((value) => !hasControlCharacter(value), 'no control characters (such as a NUL byte)');
// <input type="datetime-local"> sends 2026-11-30T09:15 (seconds optional); the page says it is UTC.
// The as-of page's reader, without zones: one set of rules for every date an admin types.
const localTime = z.string().transform((text, context) => {
  const time = parseTime(text, { zones: false });
  if (time === undefined) {
    context.addIssue({
      code: 'custom',
      message: 'a time is a real date, YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), from year 0001',
    });
    return z.NEVER;
  }
  return time;
});

const FIELDS = { category, stream, type, traceId: freeId, userId: freeId, from: localTime, to: localTime } as const;
type FilterField = keyof typeof FIELDS;
export const FILTER_FIELDS = Object.keys(FIELDS) as FilterField[];

type ParsedQuery =
  { ok: true; query: BrowseQuery } | { ok: false; errors: Partial<Record<FilterField | 'before', string>> };

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The checkbox's name and the value it sends when ticked. */
export const BOOKKEEPING_FIELD = 'bookkeeping';
export const BOOKKEEPING_SHOWN = 'shown';

/** The browser's query string: blank fields are no filter; a field that cannot be right is an error to show. */
export function parseBrowseQuery(query: Record<string, unknown>): ParsedQuery {
  const filters: Record<string, unknown> = {};
  const errors: Partial<Record<FilterField | 'before', string>> = {};
  for (const field of FILTER_FIELDS) {
    const value = text(query[field]);
    if (value === undefined) continue;
    const parsed = FIELDS[field].safeParse(value);
    if (parsed.success) filters[field] = parsed.data;
    else errors[field] = parsed.error.issues[0]?.message ?? 'not valid';
  }
  const beforeText = text(query.before);
  const before = parseGlobalPosition(beforeText);
  if (beforeText !== undefined && before === undefined) errors.before = 'not a global position';
  const { from, to, stream: streamName, category: categoryName } = filters as BrowseFilters;
  if (from && to && from >= to) errors.to = 'must be after the start of the range';
  if (streamName && categoryName && categoryOf(streamName) !== categoryName)
    errors.stream = `is not in category ${categoryName}`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const showBookkeeping = query[BOOKKEEPING_FIELD] === BOOKKEEPING_SHOWN;
  return {
    ok: true,
    query: {
      filters: filters as BrowseFilters,
      ...(before !== undefined && { before }),
      ...(showBookkeeping && { showBookkeeping }),
    },
  };
}

/** The query string for these filters (and a cursor), for links that keep them. */
export function browseHref(filters: BrowseFilters, before?: number, showBookkeeping = false): string {
  const params = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const value = filters[field];
    // To the millisecond, as the form accepts it: the next page must filter as this one did.
    if (value instanceof Date) params.set(field, value.toISOString().slice(0, 23));
    else if (value !== undefined) params.set(field, value);
  }
  if (showBookkeeping) params.set(BOOKKEEPING_FIELD, BOOKKEEPING_SHOWN);
  if (before !== undefined) params.set('before', String(before));
  const query = params.toString();
  return `/admin/messages${query ? `?${query}` : ''}`;
}
