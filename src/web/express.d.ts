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
      userId?: string;
      /** Shown in the header; kept with the id so a page needs no query to say who is logged in. */
      email?: string;
      /** When the user logged in (ms since the epoch): a session older than its max age is refused. */
      loggedInAt?: number;
      /** Had the admin role at log-in: shows the Admin link (pages check the role themselves). */
      admin?: boolean;
      csrfToken?: string;
      flash?: string;
    }
  }
}

export {};
