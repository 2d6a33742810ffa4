import { z } from 'zod';
import { emailSchema, MAX_EMAIL_LENGTH, MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, normaliseEmail, PASSWORD_LENGTH_WORDS } from '../../contracts/identity.ts';

const CONTROL_CHARACTER = /\p{Cc}/u;

export type RegistrationField = 'email' | 'password' | 'passwordAgain' | 'userId';

interface RegistrationInput {
  readonly email: string;
  readonly password: string;
  readonly userId: string;
}

type Validated =
  | { readonly ok: true; readonly input: RegistrationInput }
  | { readonly ok: false; readonly errors: Partial<Record<RegistrationField, string>>; readonly email: string; readonly userId: string | undefined };

const text = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

/**
 * The rules of a new password, typed twice (registration, a reset, a change on the account page):
 * one message per field that breaks one, none when both are good.
 */
export function newPasswordErrors(password: string, passwordAgain: string): { password?: string; passwordAgain?: string } {
  const errors: { password?: string; passwordAgain?: string } = {};
  // bcrypt reads only the first 72 bytes: a longer password would be silently cut.
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < MIN_PASSWORD_BYTES) errors.password = `Choose a password of at least ${MIN_PASSWORD_BYTES} characters.`;
  else if (bytes > MAX_PASSWORD_BYTES) errors.password = `That password is too long: a password holds ${PASSWORD_LENGTH_WORDS}. Choose a shorter one.`;
  // A tab, line break or NUL is seldom typed on purpose, and some keyboards and password fields
  // cannot type it again at log-in.
  else if (CONTROL_CHARACTER.test(password))
    errors.password = 'A password cannot contain control characters (such as tabs or line breaks). Choose one without them.';
  if (password !== passwordAgain) errors.passwordAgain = 'The two passwords are not the same. Type the same password in both fields.';
  return errors;
}

/** The registration form's rules, with one message per field that breaks one. */
export function validateRegistration(body: unknown): Validated {
  const email = normaliseEmail(text(body, 'email'));
  const password = text(body, 'password');
  const passwordAgain = text(body, 'passwordAgain');
  const userId = text(body, 'userId');
  const errors: Partial<Record<RegistrationField, string>> = {};

  if (email === '') errors.email = 'Enter your email address.';
  else if (email.length > MAX_EMAIL_LENGTH) errors.email = `An email address has at most ${MAX_EMAIL_LENGTH} characters. Check the address you typed.`;
  else if (!emailSchema.safeParse(email).success) errors.email = 'That does not look like an email address (name@example.com).';

  Object.assign(errors, newPasswordErrors(password, passwordAgain));

  const validUserId = z.uuid().safeParse(userId).success;
  if (!validUserId) errors.userId = 'The form was damaged; it has been reset. Please fill it in again.';

  if (Object.keys(errors).length > 0)
    return { ok: false, errors, email: email.slice(0, MAX_EMAIL_LENGTH), userId: validUserId ? userId.toLowerCase() : undefined };
  return { ok: true, input: { email, password, userId: userId.toLowerCase() } };
}
