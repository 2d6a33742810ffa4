import { z } from 'zod';
import { assertCategory } from '../../../message-store/index.ts';
import { BadRequestError } from '../../../web/errors.ts';
import { hasControlCharacter } from '../control-characters.ts';

const BROKEN_LINK = 'That page link is broken. Start again from the first page.';
const globalPosition = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number);
// Decoded from base64, so the portal's guard on the query string never saw what is inside.
const cursorText = z
  .string()
  .max(500)
  .refine((value) => !hasControlCharacter(value));
const typeCursor = z.tuple([cursorText, cursorText]);

/** A category filter: blank is none; anything Message DB would not call a category is a 400. */
export function categoryParam(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestError('Give one category.');
  const category = value.trim();
  try {
    assertCategory(category);
  } catch {
    throw new BadRequestError(
      `“${category.slice(0, 100)}” is not a category name: letters and digits, as in identity or identity:command.`,
    );
  }
  return category;
}

export function beforeParam(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const parsed = globalPosition.safeParse(value);
  if (!parsed.success) throw new BadRequestError(BROKEN_LINK);
  return parsed.data;
}

/** Categories are listed by name; whatever the store holds may be one, so any short text will do. */
export function afterCategoryParam(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 500 || hasControlCharacter(value))
    throw new BadRequestError(BROKEN_LINK);
  return value;
}

export const encodeTypeCursor = (at: readonly [string, string]): string =>
  Buffer.from(JSON.stringify(at)).toString('base64url');

export function afterTypeParam(value: unknown): readonly [string, string] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 2_000) throw new BadRequestError(BROKEN_LINK);
  try {
    const parsed = typeCursor.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: broken like anything else below
  }
  throw new BadRequestError(BROKEN_LINK);
}
