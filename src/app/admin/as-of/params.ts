import { z } from 'zod';
import { ENTITY_KINDS, parsePoint, type EntityKind, type Point } from '../../../as-of/index.ts';

/** What the page was asked, as the form sends it (GET: an as-of view is a link one can share). */
interface AsOfQuery {
  readonly entity?: {
    readonly kind: EntityKind;
    readonly id: string;
    readonly at: Point;
    readonly compare: Point | undefined;
  };
  readonly date?: Point;
  /** The form's fields as typed, to put back in the form. */
  readonly form: Readonly<Record<'kind' | 'id' | 'at' | 'compare' | 'date', string>>;
}

type FormField = keyof AsOfQuery['form'];

export class AsOfQueryError extends Error {
  override name = 'AsOfQueryError';
  /** The field to fix: its input points at the error (aria-describedby). */
  constructor(
    message: string,
    readonly field: FormField,
  ) {
    super(message);
  }
}

const idSchema = z.uuid();
const POINT_HINT =
  'a global position (digits), a date (2026-11-24, the whole day) or a date and time in UTC (2026-11-24T10:30)';

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim().slice(0, 100) : '';
}

function point(label: string, field: FormField, value: string): Point {
  const parsed = parsePoint(value);
  if (!parsed) throw new AsOfQueryError(`${label} must be ${POINT_HINT}.`, field);
  return parsed;
}

/** The fields as typed, to show the form again. */
export function formOf(query: Readonly<Record<string, unknown>>): AsOfQuery['form'] {
  return {
    kind: text(query.kind),
    id: text(query.id),
    at: text(query.at),
    compare: text(query.compare),
    date: text(query.date),
  };
}

/** Reads the query string; throws AsOfQueryError saying what to fix. An empty query asks nothing. */
export function parseAsOfQuery(query: Readonly<Record<string, unknown>>): AsOfQuery {
  const form = formOf(query);
  const asksEntity = form.id !== '' || form.at !== '' || form.compare !== '';
  let entity: AsOfQuery['entity'];
  if (asksEntity) {
    const kind = Object.hasOwn(ENTITY_KINDS, form.kind) ? ENTITY_KINDS[form.kind] : undefined;
    if (!kind) throw new AsOfQueryError('Choose what to look at: a user or a video.', 'kind');
    const id = idSchema.safeParse(form.id);
    if (!id.success) throw new AsOfQueryError(`A ${form.kind}'s id is a UUID.`, 'id');
    entity = {
      kind,
      id: id.data.toLowerCase(),
      at: point('“As of”', 'at', form.at),
      compare: form.compare === '' ? undefined : point('“Compare with”', 'compare', form.compare),
    };
  }
  const date = form.date === '' ? undefined : point('The catalog’s date', 'date', form.date);
  return { form, ...(entity && { entity }), ...(date && { date }) };
}
