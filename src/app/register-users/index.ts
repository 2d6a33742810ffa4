import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { identityCommandStreamName, normaliseEmail, REJECTION_REASONS, type IdentityCommand } from '../../components/identity/contract.ts';
import type { MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { issueCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import { ForbiddenError, NotFoundError, TooManyRequestsError } from '../../web/errors.ts';
import { durationInWords } from '../../web/duration-words.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import type { RateLimits } from '../../web/rate-limits.ts';
import { registrationDecision } from './registration-status.ts';
import { validateRegistration, type RegistrationField } from './validate.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const userIdParam = z.uuid();

interface RegisterUsersDeps {
  readonly messageStore: MessageStore;
  /** Is this address already in the credentials projection? A quick answer; identity decides. */
  readonly emailRegistered: (email: string) => Promise<boolean>;
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
  readonly userId?: string | undefined;
  readonly errors?: Partial<Record<RegistrationField, string>>;
}

export function createRegisterUsersApp({ messageStore, emailRegistered, canLogIn, passwords, rateLimits, personalData, newId = randomUUID }: RegisterUsersDeps) {
  const showForm = (req: Request, res: Response, status: number, { email = '', userId, errors = {} }: FormState) => {
    issueCsrfToken(req, res);
    // The id is made here, once per form: posting the same form twice asks for one account.
    res.status(status).render('register', { title: 'Register', email, newUserId: userId ?? newId(), errors });
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
    const { email, password, userId } = validated.input;
    // This form was sent before and decided (the Back button, say): the same answer again for the
    // same address, a fresh form for another, which would otherwise be silently ignored.
    const earlier = await registrationDecision(messageStore, userId);
    if (earlier && earlier.state !== 'pending') {
      if (earlier.state === 'registered' && (await personalData.open(userId, earlier.email)) === normaliseEmail(email)) return res.redirect(303, `/register/${userId}`);
      return showForm(req, res, 400, { email, errors: { userId: 'This form was already used to register. It has been reset: send it again to register this address.' } });
    }

    const wait = await rateLimits.registrationWait(req.ip ?? 'unknown');
    if (wait > 0) throw new TooManyRequestsError(`Too many registrations from your network. Try again in ${durationInWords(wait)}.`, wait);
    if (await emailRegistered(email)) return showForm(req, res, 400, { email, userId, errors: { email: `That email is ${REJECTION_REASONS.emailTaken}. Log in instead?` } });

    const command: IdentityCommand = {
      id: newId(),
      type: 'Register',
      // Sealed with the user's key, normalised first: identity compares the opened address.
      data: { userId, email: await personalData.seal(userId, normaliseEmail(email)), passwordHash: await personalData.seal(userId, await passwords.hash(password)) },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(identityCommandStreamName(userId), command);
    res.redirect(303, `/register/${userId}`);
  });

  router.get('/:userId', async (req, res) => {
    const userId = userIdParam.safeParse(req.params.userId);
    const id = userId.success ? userId.data.toLowerCase() : undefined;
    const decision = id ? await registrationDecision(messageStore, id) : undefined;
    if (!id || !decision) throw new NotFoundError('There is no registration with that id.');
    // "Registered — log in" only once log-in would work: until the credentials row is there,
    // the account is still being set up as far as the person waiting can tell.
    const status = decision.state === 'registered' && !(await canLogIn(id)) ? { state: 'pending' } : decision;
    res.render('registration-status', { title: 'Registration', status });
  });

  return { router, viewsDir: VIEWS_DIR };
}
