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
      csrfToken?: string;
      flash?: string;
    }
  }
}

export {};
