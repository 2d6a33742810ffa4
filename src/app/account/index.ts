import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type pg from 'pg';
import type { Logger } from '../../logger.ts';
import type { MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { requireUser } from '../../web/access.ts';
import { issueCsrfToken } from '../../web/csrf.ts';
import type { DeviceCookies } from '../../web/device-cookie.ts';
import type { LoginThrottle } from '../../web/login-throttle.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import type { Sessions } from '../authenticate/sessions.ts';
import { addDeleteRoutes } from './delete-account.ts';
import { addDownloadRoute } from './download.ts';
import type { AccountQueries } from './queries.ts';
import { accountView } from './views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

interface AccountDeps {
  readonly messageStore: MessageStore;
  readonly messageStorePool: pg.Pool;
  readonly downloadWait: (userId: string) => Promise<number>;
  readonly logger: Logger;
  readonly personalData: PersonalData;
  readonly queries: AccountQueries;
  readonly sessions: Sessions;
  readonly passwords: PasswordHasher;
  /** Log-in's own limits: a wrong password here counts as a failed log-in. */
  readonly throttle: LoginThrottle;
  readonly devices: DeviceCookies;
}

/**
 * /account: a user's own account. What it holds, their sessions, links to change their name,
 * password and email, log out everywhere, download their data, delete the account.
 */
export function createAccountApp(deps: AccountDeps) {
  const { queries, sessions } = deps;
  const router = Router();
  // Open to anyone: the person who deleted their account is logged out when they read it.
  router.get('/deleted', (_req, res) => res.render('account-deleted', { title: 'Your account is deleted' }));
  // Each page asks for a log-in itself, not the whole prefix: /account/verify/… (another app's,
  // mounted under the same path) opens logged out, and an unknown /account/… path is a 404.
  const loggedIn = requireUser();

  router.get('/', loggedIn, async (req, res) => {
    const userId = req.context.userId!;
    const [account, live] = await Promise.all([queries.account(userId), sessions.listFor(userId, req.session?.sid)]);
    // The session counted a moment ago, so the row was there: gone since, the user was erased.
    if (!account) return res.redirect(303, '/auth/log-in');
    issueCsrfToken(req, res);
    res.render('account', { title: 'Your account', account: accountView(account, live) });
  });

  // "Log out everywhere" is log-in's own (POST /auth/log-out-everywhere); this page asks first.
  router.get('/log-out-everywhere', loggedIn, (req, res) => {
    issueCsrfToken(req, res);
    res.render('account-log-out-everywhere', { title: 'Log out everywhere?' });
  });

  addDownloadRoute(router, deps, loggedIn);
  addDeleteRoutes(router, deps, loggedIn);
  return { router, viewsDir: VIEWS_DIR };
}
