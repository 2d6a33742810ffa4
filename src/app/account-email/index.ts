import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { AccountLinks } from '../../account-links/index.ts';
import {
  emailSchema,
  identityCommandStreamName,
  identityStreamName,
  MAX_EMAIL_LENGTH,
  normaliseEmail,
  type IdentityCommand,
  REJECTION_REASONS,
  VERIFICATION_REFUSALS,
} from '../../contracts/identity.ts';
import { identityProjection } from '../../components/identity/identity.ts';
import { requestNamed } from '../../components/identity/verification.ts';
import { derivedMessageId, type MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { requireUser } from '../../web/access.ts';
import { issueCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import { BadRequestError, NotFoundError, TooManyRequestsError } from '../../web/errors.ts';
import { durationInWords } from '../../web/duration-words.ts';
import { keyOf, limiter, takePoint } from '../../web/rate-limits.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import { answerTo } from './answers.ts';
import { changeRefusalWords, verificationWords } from './words.ts';
import { formField } from '../../web/form-field.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const uuid = z.uuid();
// Fixed: the same link confirmed twice (a double click, the Back button) names one command.
const VERIFY_NAMESPACE = '4c1e8b52-9d3f-4a07-b6e2-8f5a0c7d1e94';
const NO_ACCOUNT = { title: 'No such account', next: { href: '/', label: 'Go to the home page' } };
const NO_SUCH_PAGE = 'There is nothing at this address. The link may be mistyped.';
/**
 * Tries of the email change form per user, right password or wrong: each right one sends two
 * emails (one to an address the user types), and each wrong one is a guess at the password of a
 * session someone may have left open. Generous for a person, a wall for a script.
 */
export const EMAIL_CHANGE_TRIES = { points: 5, windowSeconds: 60 * 60 } as const;

/** A refusal's HTTP status: the link's fault, its age, or nothing wrong at all (used: it did its job). */
const STATUS_OF: Record<string, number> = {
  [VERIFICATION_REFUSALS.invalid]: 400,
  [VERIFICATION_REFUSALS.superseded]: 410,
  [VERIFICATION_REFUSALS.expired]: 410,
  [VERIFICATION_REFUSALS.used]: 200,
  [VERIFICATION_REFUSALS.noAccount]: 404,
  [VERIFICATION_REFUSALS.taken]: 409,
};
// The portal is where an unverified user meets the gate, and where they can ask for a new link.
const LOG_IN_TO_ASK = `/auth/log-in?returnTo=${encodeURIComponent('/creators-portal')}`;

interface AccountEmailDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly accountLinks: AccountLinks;
  readonly passwords: PasswordHasher;
  readonly personalData: PersonalData;
  /** Is this address already in the credentials projection? A quick answer; identity decides. */
  readonly emailRegistered: (email: string) => Promise<boolean>;
  readonly newId?: () => string;
}

interface CredentialsRow {
  user_id: string;
  email: string;
  password_hash: string;
  email_verified: boolean;
}

/**
 * Email verification (`/account/verify/<userId>/<token>`, which works logged out) and email change
 * (`/account/email`, logged in). The link's GET only shows a button: confirming is a POST, so a
 * mail scanner or link preview that fetches the link confirms nothing by itself.
 */
export function createAccountEmailApp({
  db,
  messageStore,
  accountLinks,
  passwords,
  personalData,
  emailRegistered,
  newId = randomUUID,
}: AccountEmailDeps) {
  const emailChangeTries = limiter(db, 'email-changes-user', EMAIL_CHANGE_TRIES);
  const credentialsOf = (userId: string): Promise<CredentialsRow | undefined> =>
    db<CredentialsRow>('user_credentials')
      .where('user_id', userId)
      .first('user_id', 'email', 'password_hash', 'email_verified');

  /** The user a link names and the request its token names, or a 404/400 page. */
  async function linkOf(req: Request) {
    const userId = uuid.safeParse(req.params.userId);
    const token = String(req.params.token ?? '');
    const requestId = accountLinks.requestIdOf(token);
    if (!userId.success) throw new NotFoundError(NO_SUCH_PAGE, NO_ACCOUNT);
    if (requestId === undefined) throw new BadRequestError(verificationWords(VERIFICATION_REFUSALS.invalid).sentence);
    const id = userId.data.toLowerCase();
    const { state, version } = await messageStore.project(identityStreamName(id), identityProjection);
    if (version < 0 || !state.registered || state.erased)
      throw new NotFoundError(verificationWords(VERIFICATION_REFUSALS.noAccount).sentence, NO_ACCOUNT);
    return { userId: id, token, requestId, state };
  }

  /** What the outcome page offers next: a new link (logged in as the link's user), or logging in to ask for one. */
  function nextSteps(req: Request, res: Response, userId: string, verified: boolean) {
    const owner = req.context.userId === userId;
    if (owner) issueCsrfToken(req, res);
    return {
      owner,
      verified,
      resendAction: `/register/${userId}/welcome-email`,
      requestId: newId(),
      logInHref: LOG_IN_TO_ASK,
    };
  }

  const router = Router();

  router.get('/verify/:userId/:token', async (req, res) => {
    const { userId, token, requestId, state } = await linkOf(req);
    // A look before asking for the click: an expired or used link says so at once.
    const named = accountLinks.matches('verify-email', requestId, accountLinks.hashOf(token))
      ? requestNamed(state.verification, requestId, new Date())
      : { refused: VERIFICATION_REFUSALS.invalid };
    if ('refused' in named) {
      const words = verificationWords(named.refused);
      return res.status(STATUS_OF[named.refused] ?? 400).render('account-verified', {
        title: words.title,
        words,
        next: nextSteps(req, res, userId, state.verification.verified),
      });
    }
    issueCsrfToken(req, res);
    res.render('account-verify', {
      title: 'Confirm your email address',
      change: named.kind === 'change',
      action: req.originalUrl,
    });
  });

  router.post('/verify/:userId/:token', requireCsrfToken(), async (req, res) => {
    const { userId, token, requestId, state } = await linkOf(req);
    const tokenHash = accountLinks.hashOf(token);
    // A token this site did not sign is refused here, as the GET does: anyone can make them by the
    // thousand, and each would be one more command and refusal kept for good in the user's streams.
    if (!accountLinks.matches('verify-email', requestId, tokenHash)) {
      const words = verificationWords(VERIFICATION_REFUSALS.invalid);
      return res.status(400).render('account-verified', {
        title: words.title,
        words,
        next: nextSteps(req, res, userId, state.verification.verified),
      });
    }
    const command: IdentityCommand = {
      id: derivedMessageId(VERIFY_NAMESPACE, `${userId}/${tokenHash}`),
      type: 'VerifyEmail',
      data: { userId, requestId, tokenHash },
      // Whoever holds the link, logged in or not: the link is the proof.
      metadata: { traceId: req.context.traceId, userId: req.context.userId ?? null },
    };
    await messageStore.write(identityCommandStreamName(userId), command);
    res.redirect(303, `/account/verification/${userId}/${command.id}`);
  });

  router.get('/verification/:userId/:commandId', async (req, res) => {
    const userId = uuid.safeParse(req.params.userId);
    const commandId = uuid.safeParse(req.params.commandId);
    if (!userId.success || !commandId.success) throw new NotFoundError(NO_SUCH_PAGE);
    const id = userId.data.toLowerCase();
    const asked = (await messageStore.readStream(identityCommandStreamName(id))).some(
      (message) => message.id === commandId.data.toLowerCase(),
    );
    if (!asked) throw new NotFoundError(NO_SUCH_PAGE);
    const answer = await answerTo(messageStore, id, commandId.data.toLowerCase(), [
      'EmailVerified',
      'EmailChanged',
      'EmailVerificationRefused',
    ] as const);
    if (!answer) return res.render('account-verified', { title: 'Confirming your address', pending: true });
    if (answer.type === 'EmailVerificationRefused') {
      const reason = String(answer.data.reason);
      const words = verificationWords(reason);
      return res
        .status(STATUS_OF[reason] ?? 400)
        .render('account-verified', { title: words.title, words, next: nextSteps(req, res, id, false) });
    }
    res.render('account-verified', {
      title: 'Address confirmed',
      confirmed: answer.type,
      loggedIn: req.context.userId === id,
    });
  });

  router.get('/email', requireUser(), async (req, res) => {
    const row = await credentialsOf(req.context.userId!);
    if (!row) throw new NotFoundError(verificationWords(VERIFICATION_REFUSALS.noAccount).sentence, NO_ACCOUNT);
    issueCsrfToken(req, res);
    res.render('account-email', {
      title: 'Change your email address',
      current: row.email,
      verified: row.email_verified,
      email: '',
      errors: {},
      maxEmailLength: MAX_EMAIL_LENGTH,
    });
  });

  router.post('/email', requireUser(), requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId!;
    const row = await credentialsOf(userId);
    if (!row) throw new NotFoundError(verificationWords(VERIFICATION_REFUSALS.noAccount).sentence, NO_ACCOUNT);
    const typed = formField(req.body, 'email');
    const password = formField(req.body, 'currentPassword');
    const refuse = (errors: Record<string, string>) => {
      issueCsrfToken(req, res);
      res.status(400).render('account-email', {
        title: 'Change your email address',
        current: row.email,
        verified: row.email_verified,
        email: typed,
        errors,
        maxEmailLength: MAX_EMAIL_LENGTH,
      });
    };
    const wait = await takePoint(emailChangeTries, keyOf(userId));
    if (wait > 0)
      throw new TooManyRequestsError(
        `You have tried to change your email address several times in the last hour. Try again in ${durationInWords(wait)}.`,
        wait,
      );
    const email = emailSchema.safeParse(normaliseEmail(typed));
    if (!email.success) return refuse({ email: 'Enter an email address, like name@example.com.' });
    if (!(await passwords.verify(password, row.password_hash)))
      return refuse({ currentPassword: 'That is not your current password.' });
    if (email.data === row.email) return refuse({ email: changeRefusalWords(REJECTION_REASONS.sameEmail) });
    // A quick answer from the projection; identity's reservation decides (and may still refuse).
    if (await emailRegistered(email.data)) return refuse({ email: changeRefusalWords(REJECTION_REASONS.emailTaken) });
    const command: IdentityCommand = {
      id: newId(),
      type: 'ChangeEmail',
      data: { userId, email: await personalData.seal(userId, email.data) },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(identityCommandStreamName(userId), command);
    res.redirect(303, `/account/email/${command.id}`);
  });

  router.get('/email/:commandId', requireUser(), async (req, res) => {
    const userId = req.context.userId!;
    const commandId = uuid.safeParse(req.params.commandId);
    if (!commandId.success) throw new NotFoundError(NO_SUCH_PAGE);
    const id = commandId.data.toLowerCase();
    const asked = (await messageStore.readStream(identityCommandStreamName(userId))).some(
      (message) => message.id === id,
    );
    if (!asked) throw new NotFoundError(NO_SUCH_PAGE);
    const answer = await answerTo(messageStore, userId, id, ['EmailChangeRequested', 'EmailChangeRefused'] as const);
    if (!answer) return res.render('account-email-status', { title: 'Changing your email address', pending: true });
    if (answer.type === 'EmailChangeRefused')
      return res.status(400).render('account-email-status', {
        title: 'Email address not changed',
        refusal: changeRefusalWords(String(answer.data.reason)),
      });
    res.render('account-email-status', { title: 'Confirm your new address', requested: true });
  });

  return { router, viewsDir: VIEWS_DIR };
}
