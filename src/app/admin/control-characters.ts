import type { RequestHandler } from 'express';
import { BadRequestError } from '../../web/errors.ts';

/** C0 controls and DEL: no name, id, search, cursor or date holds one, and PostgreSQL refuses NUL outright. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Typed form text (a reason in a textarea) may break lines and hold tabs; nothing else of the kind. */
const CONTROL_IN_FORM_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const hasControlCharacter = (text: string): boolean => CONTROL.test(text);

/** What a query or form field holds, flattened: a string, or strings repeated (`?a=1&a=2`), or nested with `extended` parsers. */
function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsOf(item);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) yield* stringsOf(item);
}

function offending(fields: unknown, pattern: RegExp): string | undefined {
  if (!fields || typeof fields !== 'object') return undefined;
  for (const [name, value] of Object.entries(fields)) {
    for (const text of stringsOf(value)) if (pattern.test(text)) return name;
  }
  return undefined;
}

// The field's name is the visitor's own text: shown short and without its controls.
const shown = (name: string): string => name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 40);

/**
 * Every admin page's query string and posted form, before any route reads them: a control
 * character is a 400 that names the field, rather than a value that reaches PostgreSQL (which
 * refuses NUL with a 500). Ids in the path are each route's to refuse (an unknown id is a 404),
 * and values hidden inside a cursor are the cursor decoder's.
 */
export function refuseControlCharacters(): RequestHandler {
  return (req, _res, next) => {
    const inQuery = offending(req.query, CONTROL);
    if (inQuery !== undefined)
      throw new BadRequestError(
        `The address holds a control character (such as a NUL byte) in “${shown(inQuery)}”. Remove it and try again.`,
      );
    const inForm = offending(req.body, CONTROL_IN_FORM_TEXT);
    if (inForm !== undefined)
      throw new BadRequestError(
        `The form holds a control character (such as a NUL byte) in “${shown(inForm)}”. Remove it and try again.`,
      );
    next();
  };
}
