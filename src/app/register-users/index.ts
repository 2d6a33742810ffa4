import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  identityCommandStreamName,
  normaliseEmail,
  PASSWORD_LENGTH_WORDS,
  REJECTION_REASONS,
  type IdentityCommand,
} from '../../contracts/identity.ts';
import { userResendRefusal } from '../../components/identity/welcome-email.ts';
import { derivedMessageId, type MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { issueCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import { BadRequestError, ForbiddenError, NotFoundError, TooManyRequestsError } from '../../web/errors.ts';
import { durationInWords } from '../../web/duration-words.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import type { RateLimits } from '../../web/rate-limits.ts';
import { registrationDecision, registrationOf, resendPending } from './registration-status.ts';
import { validateRegistration, type RegistrationField } from './validate.ts';
import { PROFILE_FIELD_RULES } from './profile-field-rules.ts';
import { logInHref, refusalWords } from './refusal-words.ts';
import { isOwnRegistration, rememberRegistration, waitLabel, welcomeEmailView } from './welcome-email-view.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const NO_REGISTRATION =
  'There is no registration at this address. The link may be mistyped; to create an account, register again.';
const REGISTRATION_NOT_FOUND = { title: 'Registration not found', next: { href: '/register', label: 'Register' } };
const userIdParam = z.uuid();
// Fixed: the same "send it again" form posted twice must name the same command.
const RESEND_NAMESPACE = '8d3f0b6a-7c2e-4e15-b9a4-6f1d2e8c0a73';
/** Where the welcome email (and its verification link) may also be asked for again: the upload gate. */
const PORTAL_RETURN = '/creators-portal';

/** The user id in a registration page's path, or undefined for anything else. */
function userIdOf(param: unknown): string | undefined {
  const parsed = userIdParam.safeParse(param);
  return parsed.success ? parsed.data.toLowerCase() : undefined;
}

interface RegisterUsersDeps {
  readonly messageStore: MessageStore;
  /** Is this address already in the credentials projection? A quick answer; identity decides. */
  readonly emailRegistered: (email: string) => Promise<boolean>;
  /** Has someone this handle in the profiles projection? A quick answer (the form keeps what was typed); identity decides. */
  readonly handleTaken: (handle: string) => Promise<boolean>;
  /** Can this user log in yet? Log-in reads the credentials projection, which follows the decision. */
  readonly canLogIn: (userId: string) => Promise<boolean>;
  readonly passwords: PasswordHasher;
  readonly rateLimits: RateLimits;
  /** Seals the email and password hash before they reach the message store (crypto-shredding). */
  readonly personalData: PersonalData;
  readonly newId?: () => string;
}

interface FormState {
  readonly email?: string;
  readonly displayName?: string;
  readonly handle?: string;
  readonly userId?: string | undefined;
  readonly errors?: Partial<Record<RegistrationField, string>>;
  /** The email already has an account: the error links to the log-in page, the address typed in. */
  readonly logInInstead?: boolean;
}

export function createRegisterUsersApp({
  messageStore,
  emailRegistered,
  handleTaken,
  canLogIn,
  passwords,
  rateLimits,
  personalData,
  newId = randomUUID,
}: RegisterUsersDeps) {
  const showForm = (
    req: Request,
    res: Response,
    status: number,
    { email = '', displayName = '', handle = '', userId, errors = {}, logInInstead = false }: FormState,
  ) => {
    issueCsrfToken(req, res);
    // The id is made here, once per form: posting the same form twice asks for one account.
    res.status(status).render('register', {
      title: 'Register',
      passwordLengthWords: PASSWORD_LENGTH_WORDS,
      email,
      displayName,
      handle,
      rules: PROFILE_FIELD_RULES,
      newUserId: userId ?? newId(),
      errors,
      logInHref: logInInstead ? logInHref(normaliseEmail(email)) : undefined,
    });
  };

  const router = Router();
  router.get('/', (req, res) => {
    if (req.context.userId) return res.render('registered-already', { title: 'Register' });
    showForm(req, res, 200, {});
  });

  router.post('/', requireCsrfToken(), async (req, res) => {
    if (req.context.userId) throw new ForbiddenError('You are logged in. Log out first to register another account.');
    const validated = validateRegistration(req.body);
    if (!validated.ok) return showForm(req, res, 400, validated);
    const { email, displayName, handle, password, userId } = validated.input;
    const typed = { email, displayName, handle };
    // This form was sent before and decided (the Back button, say): the same answer again for the
    // same address, a fresh form for another, which would otherwise be silently ignored.
    // Not remembered as this browser's registration: anyone who knows an id and its address
    // could post this, and the browser that registered remembers it already.
    const registeredByThisForm = async (decision: Awaited<ReturnType<typeof registrationDecision>>) =>
      decision?.state === 'registered' && (await personalData.open(userId, decision.email)) === normaliseEmail(email);
    const earlier = await registrationDecision(messageStore, userId);
    if (earlier && earlier.state !== 'pending') {
      if (await registeredByThisForm(earlier)) return res.redirect(303, `/register/${userId}`);
      return showForm(req, res, 400, {
        ...typed,
        errors: {
          userId: 'This form was already used to register. It has been reset: send it again to register this address.',
        },
      });
    }

    const wait = await rateLimits.registrationWait(req.ip ?? 'unknown');
    if (wait > 0)
      throw new TooManyRequestsError(
        `Too many registrations from your network. Try again in ${durationInWords(wait)}.`,
        wait,
      );
    if (await emailRegistered(email)) {
      // The same form sent twice, its first registration decided since the look above: the same
      // answer as the first, not "that address has an account" for the visitor's own.
      if (await registeredByThisForm(await registrationDecision(messageStore, userId)))
        return res.redirect(303, `/register/${userId}`);
      return showForm(req, res, 400, {
        ...typed,
        userId,
        errors: { email: refusalWords(REJECTION_REASONS.emailTaken).sentence },
        logInInstead: true,
      });
    }
    if (await handleTaken(handle))
      return showForm(req, res, 400, {
        ...typed,
        userId,
        errors: { handle: refusalWords(REJECTION_REASONS.handleTaken).sentence },
      });

    const command: IdentityCommand = {
      id: newId(),
      type: 'Register',
      // Sealed with the user's key, normalised first: identity compares the opened address.
      data: {
        userId,
        email: await personalData.seal(userId, normaliseEmail(email)),
        passwordHash: await personalData.seal(userId, await passwords.hash(password)),
        displayName: await personalData.seal(userId, displayName),
        handle: await personalData.seal(userId, handle),
      },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(identityCommandStreamName(userId), command);
    rememberRegistration(req, userId);
    res.redirect(303, `/register/${userId}`);
  });

  router.get('/:userId', async (req, res) => {
    const id = userIdOf(req.params.userId);
    const registration = id ? await registrationOf(messageStore, id) : undefined;
    if (!id || !registration) throw new NotFoundError(NO_REGISTRATION, REGISTRATION_NOT_FOUND);
    const { decision } = registration;
    // "Registered — log in" only once log-in would work: until the credentials row is there,
    // the account is still being set up as far as the person waiting can tell.
    const status = decision.state === 'registered' && !(await canLogIn(id)) ? { state: 'pending' } : decision;
    const welcome =
      status.state === 'registered'
        ? welcomeEmailView(registration, {
            owner: isOwnRegistration(req, id),
            pending: await resendPending(messageStore, registration, id),
            now: new Date(),
          })
        : undefined;
    if (welcome?.canAskAgain) issueCsrfToken(req, res);
    const refusal = decision.state === 'rejected' ? refusalWords(decision.reason) : undefined;
    res.render('registration-status', {
      title: 'Registration',
      status,
      refusal,
      welcome,
      resendAction: `/register/${id}/welcome-email`,
      requestId: newId(),
    });
  });

  /**
   * "Send it again", for the person who registered (logged in, or in the browser that
   * registered): checked here against the rule identity applies (so a refusal is a page that
   * says when, not a silent event), then asked of identity, which decides. Posting the same form
   * twice asks once: the command's id comes from the form's request id.
   */
  router.post('/:userId/welcome-email', requireCsrfToken(), async (req, res) => {
    const id = userIdOf(req.params.userId);
    const registration = id ? await registrationOf(messageStore, id) : undefined;
    if (!id || !registration) throw new NotFoundError(NO_REGISTRATION, REGISTRATION_NOT_FOUND);
    if (!isOwnRegistration(req, id))
      throw new ForbiddenError(
        'Only the person who registered this account can have its welcome email sent again. Log in, then try again from this page.',
      );
    if (registration.decision.state !== 'registered')
      throw new BadRequestError(
        'This account is not registered, so there is no welcome email to send. Go back to the registration page.',
      );
    const requestId = userIdParam.safeParse((req.body as { requestId?: unknown }).requestId);
    if (!requestId.success)
      throw new BadRequestError('This form was damaged. Reload the registration page and try again.');

    // A request still unanswered is on its way; another would only be refused behind it.
    if (!(await resendPending(messageStore, registration, id))) {
      const now = new Date();
      const refusal = userResendRefusal(registration.welcome, now);
      if (refusal?.retryAt) {
        const seconds = Math.ceil((refusal.retryAt.getTime() - now.getTime()) / 1000);
        throw new TooManyRequestsError(
          `You have asked for the welcome email again several times today. Try again in ${waitLabel(refusal.retryAt, now)}.`,
          seconds,
        );
      }
      if (!refusal) {
        const command: IdentityCommand = {
          id: derivedMessageId(RESEND_NAMESPACE, `${id}/${requestId.data.toLowerCase()}`),
          type: 'ResendRegistrationEmail',
          data: { userId: id },
          metadata: { traceId: req.context.traceId, userId: id },
        };
        await messageStore.write(identityCommandStreamName(id), command);
      }
    }
    // The portal's "send the link again" comes back to the portal; nowhere else (no open redirect).
    res.redirect(
      303,
      (req.body as { returnTo?: unknown }).returnTo === PORTAL_RETURN ? PORTAL_RETURN : `/register/${id}`,
    );
  });

  return { router, viewsDir: VIEWS_DIR };
}
