import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import {
  MAX_EMAIL_LENGTH,
  MAX_PASSWORD_BYTES,
  normaliseEmail,
  PASSWORD_LENGTH_WORDS,
} from '../../contracts/identity.ts';
import type { MessageStore } from '../../message-store/index.ts';
import { issueCsrfToken, newCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import type { DeviceCookies } from '../../web/device-cookie.ts';
import { durationInWords } from '../../web/duration-words.ts';
import type { LoginThrottle, LogInClient } from '../../web/login-throttle.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import { localReturnPath } from '../../web/return-to.ts';
import {
  authenticationStreamName,
  LOGIN_FAILURE_REASONS,
  type AuthenticationEvent,
} from '../../contracts/authentication.ts';
import type { CredentialsQueries } from './queries.ts';
import type { Sessions } from './sessions.ts';
import { formField as field } from '../../web/form-field.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const NO_MATCH = 'That email and password do not match an account. Check both and try again.';
const OTHER_BROWSER = 'A browser or device you have logged in with before is not held up: you can log in there now.';

interface AuthenticateDeps {
  readonly messageStore: MessageStore;
  readonly credentials: CredentialsQueries;
  readonly passwords: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly sessions: Sessions;
  readonly devices: DeviceCookies;
}

export function createAuthenticateApp({
  messageStore,
  credentials,
  passwords,
  throttle,
  sessions,
  devices,
}: AuthenticateDeps) {
  const record = (req: Request, userId: string, event: Omit<AuthenticationEvent, 'id' | 'metadata'>) =>
    messageStore.write(authenticationStreamName(userId), {
      ...event,
      id: randomUUID(),
      metadata: { traceId: req.context.traceId, userId },
    } as AuthenticationEvent);

  const showForm = (
    req: Request,
    res: Response,
    status: number,
    values: { email?: string; error?: string; returnTo?: unknown },
  ) => {
    issueCsrfToken(req, res);
    res.status(status).render('log-in', {
      title: 'Log in',
      email: values.email ?? '',
      error: values.error,
      returnTo: localReturnPath(values.returnTo),
    });
  };

  const router = Router();
  router.get('/log-in', (req, res) => {
    if (req.context.userId) return res.redirect(303, localReturnPath(req.query.returnTo));
    // "Log in instead" on the registration form brings the address typed there.
    const email =
      typeof req.query.email === 'string' && req.query.email.length <= MAX_EMAIL_LENGTH
        ? normaliseEmail(req.query.email)
        : undefined;
    showForm(req, res, 200, { email, returnTo: req.query.returnTo });
  });

  router.post('/log-in', requireCsrfToken(), async (req, res) => {
    const email = normaliseEmail(field(req.body, 'email'));
    const password = field(req.body, 'password');
    const returnTo = field(req.body, 'returnTo');
    if (email === '' || password === '')
      return showForm(req, res, 400, { email, returnTo, error: 'Enter your email and your password.' });
    if (email.length > MAX_EMAIL_LENGTH)
      return showForm(req, res, 400, {
        returnTo,
        error: `An email address has at most ${MAX_EMAIL_LENGTH} characters. Check the address you typed.`,
      });
    // bcrypt reads only the first 72 bytes: a longer password would log in on those alone.
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      return showForm(req, res, 400, {
        email,
        returnTo,
        error: `That password is longer than any password here: one holds ${PASSWORD_LENGTH_WORDS}. Check that this is the one you chose.`,
      });
    }

    const account = await credentials.byEmail(email);
    const device = account && devices.knownDevice(req, account.userId);
    const client: LogInClient = device ? { device } : { address: req.ip ?? 'unknown' };
    const wait = await throttle.take(email, client);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      const error = `Too many failed log-ins. Try again in ${durationInWords(wait)}.${device ? '' : ` ${OTHER_BROWSER}`}`;
      return showForm(req, res, 429, { email, returnTo, error });
    }

    if (!(await passwords.verify(password, account?.passwordHash)) || !account) {
      if (account)
        await record(req, account.userId, {
          type: 'UserLoginFailed',
          data: { userId: account.userId, reason: LOGIN_FAILURE_REASONS.wrongPassword },
        });
      return showForm(req, res, 401, { email, returnTo, error: NO_MATCH });
    }
    await throttle.succeeded(email, client);
    await record(req, account.userId, { type: 'UserLoggedIn', data: { userId: account.userId } });
    const session = req.session!;
    // Logging in over another log-in (someone else's, on a shared computer) ends that one.
    if (session.sid) await sessions.end(session.sid);
    session.sid = await sessions.start(account.userId, account.passwordVersion);
    // A token seen before log-in (on a shared computer, say) is no good after it.
    session.csrfToken = newCsrfToken();
    session.flash = 'You are logged in.';
    devices.remember(req, res, account.userId);
    res.redirect(303, localReturnPath(returnTo));
  });

  // Showing the form changes nothing: only a POST logs out.
  router.get('/log-out', (req, res) => {
    if (!req.context.userId) return res.redirect(303, '/');
    issueCsrfToken(req, res);
    res.render('log-out', { title: 'Log out' });
  });

  router.post('/log-out', requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId;
    // The session ends on the server first: a copy of this cookie is then worth nothing.
    if (req.session?.sid) await sessions.end(req.session.sid);
    if (userId) await record(req, userId, { type: 'UserLoggedOut', data: { userId } });
    // A new session that holds nothing but the notice: the old one (its CSRF token too) is gone.
    req.session = { flash: 'You are logged out.' };
    res.redirect(303, '/');
  });

  router.post('/log-out-everywhere', requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId;
    if (!userId) return res.redirect(303, '/');
    await sessions.endAllFor(userId);
    await record(req, userId, { type: 'UserLoggedOut', data: { userId, everywhere: true } });
    const session = req.session!;
    delete session.sid;
    session.csrfToken = newCsrfToken();
    session.flash = 'You are logged out in every browser, this one included.';
    res.redirect(303, '/');
  });

  return { router, viewsDir: VIEWS_DIR };
}
