import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import { clientKey } from './rate-limits.ts';

/** A visitor's pseudonymous key for the request: the same for the same visitor, and nothing else of theirs. */
export type VisitorKeyOf = (req: Request) => string;

// 128 bits of the HMAC: no two visitors of one video share a key by chance, and a short column.
const KEY_LENGTH = 22;

/**
 * The session a visitor is known by, if any: their log-in's server-side session id (request-context
 * leaves it only on a live one). A visitor who is not logged in has none: an anonymous cookie (kept
 * only for a CSRF token) is free to mint, one per request, so a script would be a new visitor at
 * every post. They are known by their address.
 */
function sessionOf(req: Request): string | undefined {
  if (req.context.userId === null) return undefined;
  return req.session?.sid;
}

/**
 * Keys are a keyed hash (HMAC-SHA256) of the visitor's session, or of their client address
 * (clientKey: an IPv6 /64 as one) when they have none, so the log holds neither, and without the
 * secret nobody can tell which address a key stands for (an IPv4 address alone is easy to guess
 * by hashing every one). The secret is derived from the cookie-signing key, never used as is.
 * Rotating that key (a new first key in COOKIE_SECRET) gives everyone new keys: each visitor may
 * then count once more within the window that was running, nothing worse.
 */
export function createVisitorKeys(cookieSecret: string): VisitorKeyOf {
  const secret = createHmac('sha256', cookieSecret).update('video-tutorials visitor keys').digest();
  return (req) => {
    const session = sessionOf(req);
    const who = session === undefined ? `address ${clientKey(req.ip ?? '')}` : `session ${session}`;
    return createHmac('sha256', secret).update(who).digest('base64url').slice(0, KEY_LENGTH);
  };
}
