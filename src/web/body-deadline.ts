import type { Request, RequestHandler } from 'express';

const cancels = new WeakMap<Request, () => void>();

const TOO_SLOW = 'This request took too long to arrive, so it was stopped. Please try again.';

/**
 * Every request must have arrived whole within `ms`, or its connection is closed (408 if it can
 * still be told). Node's own requestTimeout is one setting for the whole server, and the upload
 * route needs hours; without this, a client trickling a form body a byte at a time held a
 * connection for as long as the upload's allowance. The upload route takes itself out with
 * allowSlowBody() and holds its client to a minimum rate instead.
 */
export function bodyDeadline(ms: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (req.complete) return;
      const cut = () => req.socket.destroy();
      if (res.headersSent) return cut();
      res.status(408).set('Connection', 'close').type('text/plain').end(TOO_SLOW, cut);
    }, ms);
    const cancel = () => clearTimeout(timer);
    cancels.set(req, cancel);
    res.once('close', cancel);
    next();
  };
}

/** Takes a request out of its body deadline: for a route that guards slow clients its own way. */
export function allowSlowBody(req: Request): void {
  cancels.get(req)?.();
}
