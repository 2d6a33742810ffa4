import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import { clientKey } from './rate-limits.ts';

/** A visitor's pseudonymous key for the request: the same for the same visitor, and nothing else of theirs. */
export type VisitorKeyOf = (req: Request) => string;

// 128 bits of the HMAC: no two visitors of one video share a key by chance, and a short column.
const KEY_LENGTH = 22;

/**
 * A logged-in visitor is their account, not their session: a log-in is free to repeat, each a new
 * session, so keying by session made one person a new visitor at every log-in and in every
 * browser. The event names the user anyway, so keying by them reveals nothing more. A visitor who
 * is not logged in is their client address: an anonymous cookie (kept only for a CSRF token) is
 * free to mint, one per request, so a script would be a new visitor at every post.
 *
 * Keys are a keyed hash (HMAC-SHA256) of the visitor's account, or of their client address
 * (clientKey: an IPv6 /64 as one) when they are not logged in, so the log holds neither, and without the
 * secret nobody can tell which address a key stands for (an IPv4 address alone is easy to guess
 * by hashing every one). The secret is derived from the cookie-signing key, never used as is.
 * Rotating that key (a new first key in COOKIE_SECRET) gives everyone new keys: each visitor may
 * then count once more within the window that was running, nothing worse.
 */
export function createVisitorKeys(cookieSecret: string): VisitorKeyOf {
  const secret = createHmac('sha256', cookieSecret).update('video-tutorials visitor keys').digest();
  return (req) => {
    const { userId } = req.context;
    const who = userId === null ? `address ${clientKey(req.ip ?? '')}` : `user ${userId}`;
    return createHmac('sha256', secret).update(who).digest('base64url').slice(0, KEY_LENGTH);
  };
}
