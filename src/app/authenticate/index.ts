import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { MAX_EMAIL_LENGTH, MAX_PASSWORD_BYTES, normaliseEmail } from '../../components/identity/contract.ts';
import type { MessageStore } from '../../message-store/index.ts';
import { ADMIN_ROLE } from '../../web/access.ts';
import { issueCsrfToken, newCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import { TooManyRequestsError } from '../../web/errors.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import type { RateLimits } from '../../web/rate-limits.ts';
import { localReturnPath } from '../../web/return-to.ts';
import { authenticationStreamName, LOGIN_FAILURE_REASONS, type AuthenticationEvent } from './contract.ts';
import type { CredentialsQueries } from './queries.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const NO_MATCH = 'That email and password do not match an account. Check both and try again.';
// Far longer than any real password or address: enough to stop hashing megabytes, not a rule.
const MAX_FIELD_LENGTH = 1024;

interface AuthenticateDeps {
  readonly messageStore: MessageStore;
  readonly credentials: CredentialsQueries;
  readonly passwords: PasswordHasher;
  readonly rateLimits: RateLimits;
}

const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

export function createAuthenticateApp({ messageStore, credentials, passwords, rateLimits }: AuthenticateDeps) {
  const record = (req: Request, userId: string, event: Omit<AuthenticationEvent, 'id' | 'metadata'>) =>
    messageStore.write(authenticationStreamName(userId), { ...event, id: randomUUID(), metadata: { traceId: req.context.traceId, userId } } as AuthenticationEvent);

  const showForm = (req: Request, res: Response, status: number, values: { email?: string; error?: string; returnTo?: unknown }) => {
    issueCsrfToken(req, res);
    res.status(status).render('log-in', { title: 'Log in', email: values.email ?? '', error: values.error, returnTo: localReturnPath(values.returnTo) });
  };

  const router = Router();
  router.get('/log-in', (req, res) => {
    if (req.context.userId) return res.redirect(303, localReturnPath(req.query.returnTo));
    showForm(req, res, 200, { returnTo: req.query.returnTo });
  });

  router.post('/log-in', requireCsrfToken(), async (req, res) => {
    const email = normaliseEmail(field(req.body, 'email'));
    const password = field(req.body, 'password');
    const returnTo = field(req.body, 'returnTo');
    if (email === '' || password === '') return showForm(req, res, 400, { email, returnTo, error: 'Enter your email and your password.' });
    if (email.length > MAX_EMAIL_LENGTH || password.length > MAX_FIELD_LENGTH) {
      return showForm(req, res, 400, { returnTo, error: `An email has at most ${MAX_EMAIL_LENGTH} characters and a password at most ${MAX_PASSWORD_BYTES} bytes.` });
    }
    const address = req.ip ?? 'unknown';
    const wait = await rateLimits.loginAttempt(email, address);
    if (wait > 0) throw new TooManyRequestsError(`Too many failed log-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`, wait);

    const account = await credentials.byEmail(email);
    if (!(await passwords.verify(password, account?.passwordHash)) || !account) {
      if (account) await record(req, account.userId, { type: 'UserLoginFailed', data: { userId: account.userId, reason: LOGIN_FAILURE_REASONS.wrongPassword } });
      return showForm(req, res, 401, { email, returnTo, error: NO_MATCH });
    }
    await rateLimits.loginSucceeded(email, address);
    await record(req, account.userId, { type: 'UserLoggedIn', data: { userId: account.userId } });
    const session = req.session!;
    session.userId = account.userId;
    session.email = account.email;
    session.loggedInAt = Date.now();
    // Only to show the Admin link: every admin page checks the role afresh.
    session.admin = account.roles.includes(ADMIN_ROLE) || undefined;
    // A token seen before log-in (on a shared computer, say) is no good after it.
    session.csrfToken = newCsrfToken();
    session.flash = `Logged in as ${account.email}.`;
    res.redirect(303, localReturnPath(returnTo));
  });

  // Showing the form changes nothing: only the POST logs out.
  router.get('/log-out', (req, res) => {
    if (!req.context.userId) return res.redirect(303, '/');
    issueCsrfToken(req, res);
    res.render('log-out', { title: 'Log out' });
  });

  router.post('/log-out', requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId;
    if (userId) await record(req, userId, { type: 'UserLoggedOut', data: { userId } });
    req.session = null;
    res.redirect(303, '/');
  });

  return { router, viewsDir: VIEWS_DIR };
}
