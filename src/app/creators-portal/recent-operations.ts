import type { Request } from 'express';

declare global {
  namespace CookieSessionInterfaces {
    interface CookieSessionObject {
      /** The creator's latest actions, newest first, as `<userId>/<traceId>/<kind>`. */
      recentOperations?: string[];
    }
  }
}

/** What a creator asked for, as video_operations names it. */
export type OperationKind = 'publish' | 'name' | 'describe' | 'unpublish' | 'visibility' | 'delete' | 'poster';

const KEPT = 8;

const prefix = (req: Request, traceId: string): string => `${req.context.userId ?? ''}/${traceId}/`;

/**
 * The operation page is shown right after a post, usually before the subscriber that records
 * operations has seen the command. The session remembers what its user just sent, so such a page
 * says what is pending rather than "not found", while a trace id they did not send stays a 404.
 */
export function rememberOperation(req: Request, traceId: string, kind: OperationKind): void {
  const session = req.session!;
  const start = prefix(req, traceId);
  session.recentOperations = [
    `${start}${kind}`,
    ...(session.recentOperations ?? []).filter((kept) => !kept.startsWith(start)),
  ].slice(0, KEPT);
}

/** The kind of an operation this session's user just sent, or undefined. */
export function recentOperationKind(req: Request, traceId: string): string | undefined {
  const start = prefix(req, traceId);
  return req.session?.recentOperations?.find((kept) => kept.startsWith(start))?.slice(start.length);
}
