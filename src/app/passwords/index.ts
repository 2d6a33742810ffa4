import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AccountLinks } from '../../account-links/index.ts';
import {
  emailSchema,
  identityCommandSchemas,
  identityCommandStreamName,
  identityEventSchemas,
  identityStreamName,
  MAX_EMAIL_LENGTH,
  normaliseEmail,
  PASSWORD_LENGTH_WORDS,
  type IdentityCommand,
} from '../../contracts/identity.ts';
import { answerId } from '../../components/identity/ids.ts';
import type { MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { issueCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import { durationInWords } from '../../web/duration-words.ts';
import { NotFoundError, TooManyRequestsError } from '../../web/errors.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import type { RateLimits } from '../../web/rate-limits.ts';
import type { CredentialsQueries } from '../authenticate/queries.ts';
import { newPasswordErrors } from '../register-users/validate.ts';
import { checkResetLink, refusalPage } from './reset-link.ts';
import { formField as field } from '../../web/form-field.ts';

export const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/**
 * The forgot-password form answers no sooner than this after it was posted, known address or
 * not: the only extra work for a known one is one small write, far below it (docs/limits.md).
 */
const FORGOT_ANSWER_FLOOR_MS = 400;
/** How long the page after a reset keeps looking for the outcome before it says it is late. */
const RESET_OUTCOME_PATIENCE_MS = 30_000;
const commandIdParam = z.uuid();

interface PasswordResetDeps {
  readonly messageStore: MessageStore;
  readonly credentials: CredentialsQueries;
  readonly passwords: PasswordHasher;
  readonly rateLimits: RateLimits;
  readonly personalData: PersonalData;
  readonly accountLinks: AccountLinks;
  readonly answerFloorMs?: number;
  readonly newId?: () => string;
}

/** "Forgot your password?" (/auth/forgot), the link's page (/auth/reset/<token>) and what came of it (/auth/reset-status/<id>). */
export function createPasswordResetApp({
  messageStore,
  credentials,
  passwords,
  rateLimits,
  personalData,
  accountLinks,
  answerFloorMs = FORGOT_ANSWER_FLOOR_MS,
  newId = randomUUID,
}: PasswordResetDeps) {
  const router = Router();
  // The link's token is in these pages' address: no other site is told it.
  router.use(['/reset', '/reset-status', '/forgot'], (_req, res, next) => {
    res.set('Referrer-Policy', 'no-referrer');
    next();
  });

  const showForgot = (req: Request, res: Response, status: number, values: { email?: string; error?: string }) => {
    issueCsrfToken(req, res);
    res
      .status(status)
      .render('forgot-password', { title: 'Forgot your password?', email: values.email ?? '', error: values.error });
  };

  // No address in the link to here: it would sit in request logs and browser histories.
  router.get('/forgot', (req, res) => showForgot(req, res, 200, {}));

  /**
   * The same answer, in the same time, whether or not an account has the address: the limits
   * count every address typed, and the answer waits out a floor the work never reaches.
   */
  router.post('/forgot', requireCsrfToken(), async (req, res) => {
    const started = Date.now();
    const email = normaliseEmail(field(req.body, 'email'));
    if (!emailSchema.safeParse(email).success)
      return showForgot(req, res, 400, {
        email: email.slice(0, MAX_EMAIL_LENGTH),
        error: 'Enter the email address you registered with (name@example.com).',
      });
    const wait = await rateLimits.passwordResetWait(req.ip ?? 'unknown', email);
    if (wait > 0)
      throw new TooManyRequestsError(
        `Too many password reset requests for now. Try again in ${durationInWords(wait)}.`,
        wait,
      );
    const account = await credentials.byEmail(email);
    if (account) {
      const requestId = newId();
      const command: IdentityCommand = {
        id: newId(),
        type: 'RequestPasswordReset',
        data: { userId: account.userId, requestId },
        metadata: { traceId: req.context.traceId, userId: account.userId },
      };
      await messageStore.write(identityCommandStreamName(requestId), command);
    }
    await sleep(Math.max(0, started + answerFloorMs - Date.now()));
    res.redirect(303, '/auth/forgot/sent');
  });

  router.get('/forgot/sent', (_req, res) => {
    res.render('forgot-password-sent', { title: 'Check your email' });
  });

  router.get('/reset/:token', async (req, res) => {
    const link = await checkResetLink(messageStore, accountLinks, String(req.params.token), new Date());
    if (!link.ok) {
      const page = refusalPage(link.reason);
      return res.status(page.status).render('reset-refused', page);
    }
    issueCsrfToken(req, res);
    res.render('reset-password', {
      title: 'Choose a new password',
      passwordLengthWords: PASSWORD_LENGTH_WORDS,
      errors: {},
    });
  });

  router.post('/reset/:token', requireCsrfToken(), async (req, res) => {
    const link = await checkResetLink(messageStore, accountLinks, String(req.params.token), new Date());
    if (!link.ok) {
      const page = refusalPage(link.reason);
      return res.status(page.status).render('reset-refused', page);
    }
    const errors = newPasswordErrors(field(req.body, 'password'), field(req.body, 'passwordAgain'));
    if (errors.password || errors.passwordAgain) {
      issueCsrfToken(req, res);
      return res.status(400).render('reset-password', {
        title: 'Choose a new password',
        passwordLengthWords: PASSWORD_LENGTH_WORDS,
        errors,
      });
    }
    const { userId, requestId, tokenHash } = link;
    const commandId = newId();
    const command: IdentityCommand = {
      id: commandId,
      type: 'ResetPassword',
      data: {
        userId,
        requestId,
        tokenHash,
        passwordHash: await personalData.seal(userId, await passwords.hash(field(req.body, 'password'))),
      },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(identityCommandStreamName(commandId), command);
    res.redirect(303, `/auth/reset-status/${commandId}`);
  });

  /** What identity decided about a reset, once log-in would go by it; refreshes itself meanwhile, for a while. */
  router.get('/reset-status/:commandId', async (req, res) => {
    const id = commandIdParam.safeParse(req.params.commandId);
    const command = id.success
      ? await messageStore.readLastMessage(identityCommandStreamName(id.data.toLowerCase()), 'ResetPassword')
      : undefined;
    const data = identityCommandSchemas.ResetPassword.safeParse(command?.data);
    if (!command || !data.success)
      throw new NotFoundError(
        'There is no password reset at this address. To reset your password, ask for a new link.',
        {
          title: 'Password reset not found',
          next: { href: '/auth/forgot', label: 'Ask for a new link' },
        },
      );
    const { userId } = data.data;
    const answers = await messageStore.readStream(identityStreamName(userId));
    const changed = answers.find((message) => message.id === answerId(command.id, 'PasswordChanged'));
    const refused = answers.find((message) => message.id === answerId(command.id, 'PasswordResetRefused'));
    if (refused) {
      const reason = identityEventSchemas.PasswordResetRefused.shape.reason.safeParse(
        (refused.data as { reason?: unknown }).reason,
      );
      const page = refusalPage(reason.success ? reason.data : '');
      return res.render('reset-refused', page);
    }
    // "Log in" only once log-in reads the new password.
    if (changed && (await credentials.passwordChangeApplied(userId, changed.globalPosition)))
      return res.render('reset-status', { title: 'Password changed', state: 'changed' });
    const late = Date.now() - command.time.getTime() > RESET_OUTCOME_PATIENCE_MS;
    res.render('reset-status', { title: 'Changing your password', state: late ? 'late' : 'pending' });
  });

  return { router };
}
