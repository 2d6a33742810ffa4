import type { Request, RequestHandler } from 'express';

const cancels = new WeakMap<Request, () => void>();

const TOO_SLOW = 'This request took too long to arrive, so it was stopped. Please try again.';
// Written to the socket as Node itself writes its own 408, not through the response: see below.
const TOO_SLOW_RESPONSE = [
  'HTTP/1.1 408 Request Timeout',
  'Connection: close',
  'Content-Type: text/plain; charset=utf-8',
  `Content-Length: ${Buffer.byteLength(TOO_SLOW)}`,
  '',
  TOO_SLOW,
].join('\r\n');

/**
 * Every request must have arrived whole within `ms`, or its connection is closed (408 if it can
 * still be told). Node's own requestTimeout is one setting for the whole server, and the upload
 * route needs hours; without this, a client trickling a form body a byte at a time held a
 * connection for as long as the upload's allowance. The upload route takes itself out with
 * allowSlowBody() and holds its client to a minimum rate instead.
 *
 * A body no parser reads (a GET with one, a type no route takes) does not hold back its route:
 * the page may be answered long before the body is in, and Node then reads the rest on the same
 * connection. So the deadline ends when the body is in, not when the answer is sent; and the 408
 * goes straight to the socket, since the route may still be running and answer later, and an
 * answer through the response after ours would throw where nothing can catch it.
 */
export function bodyDeadline(ms: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      const { socket } = req;
      if (req.complete || socket.destroyed) return;
      if (!res.headersSent && socket.writable) socket.write(TOO_SLOW_RESPONSE);
      socket.destroy();
    }, ms);
    // A deadline is no reason to keep the process running.
    timer.unref();
    const cancel = () => clearTimeout(timer);
    cancels.set(req, cancel);
    // The body is in, or the connection is gone.
    req.once('end', cancel);
    req.once('close', cancel);
    res.once('close', () => {
      if (req.complete || req.socket.destroyed) cancel();
    });
    next();
  };
}

/** Takes a request out of its body deadline: for a route that guards slow clients its own way. */
export function allowSlowBody(req: Request): void {
  cancels.get(req)?.();
}
