import type { Request } from 'express';

declare global {
  namespace CookieSessionInterfaces {
    interface CookieSessionObject {
      /** The creator's latest actions, newest first, as `<userId>/<traceId>`. */
      recentOperations?: string[];
    }
  }
}

const KEPT = 8;

const entry = (req: Request, traceId: string): string => `${req.context.userId ?? ''}/${traceId}`;

/**
 * The operation page is shown right after a post, usually before the subscriber that records
 * operations has seen the command. The session remembers what its user just sent, so such a page
 * says "pending" rather than "not found", while a trace id they did not send stays a 404.
 */
export function rememberOperation(req: Request, traceId: string): void {
  const session = req.session!;
  const remembered = entry(req, traceId);
  session.recentOperations = [remembered, ...(session.recentOperations ?? []).filter((kept) => kept !== remembered)].slice(0, KEPT);
}

export function isRecentOperation(req: Request, traceId: string): boolean {
  return req.session?.recentOperations?.includes(entry(req, traceId)) ?? false;
}
