import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { SubscriberStatus } from '../subscription/status.ts';

interface StatusOptions {
  readonly subscribers: () => readonly SubscriberStatus[];
  /** When set, GET /status needs `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
  /** Without a token, production hides /status (404) and development shows it. */
  readonly production: boolean;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares digests, so neither the token's content nor its length shows in the timing. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/** GET /status: every subscriber's status, for operators (positions, failures, retries). */
export function createStatusRouter({ subscribers, token, production }: StatusOptions): Router {
  const router = Router();
  router.get('/status', (req, res, next) => {
    if (token === undefined && production) return next();
    if (token !== undefined && !bearerMatches(req.get('authorization'), token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="status"').json({ error: 'unauthorized' });
      return;
    }
    res.set('Cache-Control', 'no-store').json({ subscribers: subscribers() });
  });
  return router;
}
