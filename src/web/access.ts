import type { RequestHandler } from 'express';
import { ADMIN_ROLE } from '../contracts/identity.ts';
import { ForbiddenError } from './errors.ts';

/** Pages for logged-in users: anyone else goes to log in, and comes back here after. */
export function requireUser(): RequestHandler {
  return (req, res, next) => {
    if (req.context.userId) return next();
    // Only a GET can be come back to; a POST's body is gone by then.
    const returnTo = req.method === 'GET' ? req.originalUrl : '/';
    res.redirect(303, `/auth/log-in?returnTo=${encodeURIComponent(returnTo)}`);
  };
}

/**
 * Pages for admins. Roles are read from the credentials projection on each request rather
 * than kept in the cookie, so a revoked role takes effect at the next page, not the next log-in.
 */
export function requireAdmin(rolesOf: (userId: string) => Promise<readonly string[]>): RequestHandler {
  const loggedIn = requireUser();
  return (req, res, next) => {
    loggedIn(req, res, () => {
      rolesOf(req.context.userId!).then(
        (roles) =>
          next(roles.includes(ADMIN_ROLE) ? undefined : new ForbiddenError('This page is for administrators.')),
        next,
      );
    });
  };
}
