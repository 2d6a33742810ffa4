import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieSession from 'cookie-session';
import express, { type Router } from 'express';
import helmet from 'helmet';
import type { TrustProxy } from '../config/env.ts';
import type { Logger } from '../logger.ts';
import { bodyDeadline } from './body-deadline.ts';
import { csrfProtection } from './csrf.ts';
import { errorHandler, notFound } from './error-handlers.ts';
import { counted, plural } from '../plural.ts';
import { templates } from '../templates/load.ts';
import { requestContext, SESSION_MAX_AGE_MS, type SessionUser } from './request-context.ts';
import { requestLog } from './request-log.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC_DIR = path.resolve(here, '../../public');
export const COMMON_VIEWS_DIR = path.resolve(here, 'views');

interface MountedApp {
  readonly path: string;
  readonly router: Router;
}

interface ExpressAppOptions {
  readonly logger: Logger;
  /** The first key signs; every key is accepted (rotation). */
  readonly cookieSecret: string | readonly string[];
  readonly production: boolean;
  /**
   * Compile each template once (Pug keeps it per process) instead of at every render: always in
   * production; in development only when asked (tests), so an edited template shows at once.
   */
  readonly viewCache?: boolean;
  /** Express's `trust proxy`; unset trusts none, so req.secure means the socket itself is TLS. */
  readonly trustProxy?: TrustProxy;
  /** How long a request's body may take to arrive; a route with its own guard opts out (body-deadline.ts). */
  readonly requestBodyTimeoutMs: number;
  /** Template folders of the slices, searched after the common ones. */
  readonly viewDirs: readonly string[];
  readonly routes: readonly MountedApp[];
  /** Mounted before sessions and CSRF: /health, /ready and /status are for machines and operators. */
  readonly probes: readonly Router[];
  /** The user of a live session (request-context.ts); unset, nobody is ever logged in. */
  readonly sessionUser?: (sessionId: string) => Promise<SessionUser | undefined>;
}

/**
 * Pug pages from the common views, then `viewDirs`. Every app that renders, a test's too, sets
 * them up here: without the basedir, any page (the error page first) fails to render.
 */
export function usePugViews(app: express.Express, viewDirs: readonly string[]): void {
  app.set('views', [COMMON_VIEWS_DIR, ...viewDirs]);
  app.engine('pug', templates.render);
  app.set('view engine', 'pug');
  // Slice templates say `extends /layout`: absolute Pug paths start at the common views.
  app.locals.basedir = COMMON_VIEWS_DIR;
  // Templates that print a count take its noun from the same helper as the code does.
  Object.assign(app.locals, { plural, counted });
}

export function createExpressApp(options: ExpressAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  usePugViews(app, options.viewDirs);
  const trustProxy = options.trustProxy ?? false;
  app.set('trust proxy', Array.isArray(trustProxy) ? [...trustProxy] : trustProxy);
  if (options.viewCache ?? options.production) app.set('view cache', true);
  app.use(bodyDeadline(options.requestBodyTimeoutMs));

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'form-action': ["'self'"],
          // Plain http on localhost must keep working in development.
          'upgrade-insecure-requests': options.production ? [] : null,
        },
      },
    }),
  );
  app.use('/public', express.static(PUBLIC_DIR, { maxAge: options.production ? '1d' : 0 }));
  // Browsers ask for /favicon.ico on every site whatever the page links to: the same SVG icon, not a 404.
  app.get('/favicon.ico', (_req, res) =>
    res.type('image/svg+xml').sendFile(path.join(PUBLIC_DIR, 'favicon.svg'), { maxAge: options.production ? '1d' : 0 }),
  );
  if (options.probes.length > 0) app.use([...options.probes]);
  app.use(
    cookieSession({
      name: 'session',
      keys: typeof options.cookieSecret === 'string' ? [options.cookieSecret] : [...options.cookieSecret],
      httpOnly: true,
      sameSite: 'lax',
      secure: options.production,
      maxAge: SESSION_MAX_AGE_MS,
    }),
  );
  app.use(requestContext({ sessionUser: options.sessionUser }));
  app.use(requestLog(options.logger));
  // 64 KB: a description of 5,000 characters in a non-Latin script is up to 20 KB, encoded thrice over.
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(csrfProtection());
  for (const { path: mountPath, router } of options.routes) app.use(mountPath, router);
  app.use(notFound());
  app.use(errorHandler({ logger: options.logger }));
  return app;
}
