import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Router, type Request, type Response } from 'express';
import { identityCommandStreamName, PASSWORD_LENGTH_WORDS, type IdentityCommand } from '../../contracts/identity.ts';
import { derivedMessageId, type MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { issueCsrfToken, newCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import { durationInWords } from '../../web/duration-words.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import type { RateLimits } from '../../web/rate-limits.ts';
import type { CredentialsQueries } from '../authenticate/queries.ts';
import type { Sessions } from '../authenticate/sessions.ts';
import { newPasswordErrors } from '../register-users/validate.ts';
import { formField as field } from '../../web/form-field.ts';

/** How long the change waits to see the new password take effect before it answers anyway. */
const CHANGE_PATIENCE_MS = 5_000;
const CHANGE_POLL_MS = 50;
// Fixed: one form's change from one password count is one command, however often it is posted.
const CHANGE_NAMESPACE = 'b3f0c6a2-5d1e-4c8b-9a7f-2e6d4b1c8a53';

interface ChangePasswordDeps {
  readonly messageStore: MessageStore;
  readonly credentials: CredentialsQueries;
  readonly passwords: PasswordHasher;
  readonly rateLimits: RateLimits;
  readonly personalData: PersonalData;
  readonly sessions: Sessions;
}

type Errors = { current?: string; password?: string; passwordAgain?: string; form?: string };

/** /account/password: a logged-in user changes their password, typing the current one first. */
export function createChangePasswordApp({
  messageStore,
  credentials,
  passwords,
  rateLimits,
  personalData,
  sessions,
}: ChangePasswordDeps) {
  const router = Router();
  const show = (req: Request, res: Response, status: number, errors: Errors) => {
    issueCsrfToken(req, res);
    res
      .status(status)
      .render('change-password', { title: 'Change your password', passwordLengthWords: PASSWORD_LENGTH_WORDS, errors });
  };
  const logInFirst = (res: Response) =>
    res.redirect(303, `/auth/log-in?returnTo=${encodeURIComponent('/account/password')}`);

  router.get('/password', (req, res) => {
    if (!req.context.userId) return logInFirst(res);
    show(req, res, 200, {});
  });

  router.post('/password', requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId;
    const sessionId = req.session?.sid;
    if (!userId || !sessionId) return logInFirst(res);
    const wait = await rateLimits.passwordCheckWait(userId);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      return show(req, res, 429, {
        form: `Too many tries of your current password. Try again in ${durationInWords(wait)}.`,
      });
    }
    const account = await credentials.byUserId(userId);
    if (!account || !(await passwords.verify(field(req.body, 'current'), account.passwordHash)))
      return show(req, res, 400, {
        current: 'That is not your current password. Type the password you log in with now.',
      });
    const password = field(req.body, 'password');
    const errors = newPasswordErrors(password, field(req.body, 'passwordAgain'));
    if (errors.password || errors.passwordAgain) return show(req, res, 400, errors);

    // This browser's session is counted under the change about to be made, so it goes on while
    // every session started before (a thief's too) ends when the change lands.
    const version = account.passwordVersion + 1;
    await sessions.keepThrough(sessionId, version);
    // A double click posts the form twice, both checked against the same count: as two commands
    // they would make two changes, and the second would end this session (kept through the first
    // only). One id per session, count and form token makes them one change; the token is new
    // after each change, so a change made again later is a change of its own. Another session's
    // post stays its own command, so a thief changing it at the same moment still ends this one.
    const formKey = createHash('sha256')
      .update(`${sessionId}\n${req.session?.csrfToken ?? ''}`)
      .digest('hex');
    const command: IdentityCommand = {
      id: derivedMessageId(CHANGE_NAMESPACE, `${userId}/${formKey}/${version}`),
      type: 'ChangePassword',
      data: { userId, passwordHash: await personalData.seal(userId, await passwords.hash(password)) },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(identityCommandStreamName(command.id), command);
    const session = req.session!;
    session.csrfToken = newCsrfToken();
    session.flash = (await landed(userId, version))
      ? 'Your password is changed. Every other browser logged in to your account is logged out.'
      : 'Your new password is being saved: it works in a moment. Other browsers are logged out when it does.';
    res.redirect(303, '/account');
  });

  /** Waits, a few seconds at most, until log-in reads the new password. */
  async function landed(userId: string, version: number): Promise<boolean> {
    const deadline = Date.now() + CHANGE_PATIENCE_MS;
    for (;;) {
      if (((await credentials.byUserId(userId))?.passwordVersion ?? 0) >= version) return true;
      if (Date.now() >= deadline) return false;
      await sleep(CHANGE_POLL_MS);
    }
  }

  return { router };
}
