import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ForbiddenError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Synchronizer tokens: one random token per session, kept in the signed session cookie and
 * rendered into every form as `_csrf`; a state-changing request without it is refused.
 */
export function csrfProtection(): RequestHandler {
  return (req, res, next) => {
    const session = req.session!;
    session.csrfToken ??= randomBytes(24).toString('base64url');
    res.locals.csrfToken = session.csrfToken;
    if (SAFE_METHODS.has(req.method)) return next();
    const given: unknown = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token');
    if (!sameToken(session.csrfToken, given)) {
      return next(new ForbiddenError('This form has expired or did not come from this site. Go back, reload the page and try again.'));
    }
    next();
  };
}
