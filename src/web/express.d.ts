import 'express-serve-static-core';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set for every request by request-context.ts. */
    context: {
      readonly traceId: string;
      readonly userId: string | null;
    };
  }
}

declare global {
  namespace CookieSessionInterfaces {
    interface CookieSessionObject {
      /** The server-side session's id (the sessions table): who is logged in is read there, not here. */
      sid?: string;
      csrfToken?: string;
      flash?: string;
    }
  }
}

export {};
