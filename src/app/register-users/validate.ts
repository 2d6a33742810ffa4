import { z } from 'zod';
import {
  emailSchema,
  MAX_EMAIL_LENGTH,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_BYTES,
  normaliseEmail,
  PASSWORD_LENGTH_WORDS,
} from '../../contracts/identity.ts';
import {
  displayNameProblem,
  handleProblem,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_HANDLE_LENGTH,
  normaliseDisplayName,
  normaliseHandle,
} from '../../contracts/profile-rules.ts';
import { formField as text } from '../../web/form-field.ts';

const CONTROL_CHARACTER = /\p{Cc}/u;

export type RegistrationField = 'email' | 'displayName' | 'handle' | 'password' | 'passwordAgain' | 'userId';

/** A display name and handle as typed, each with its problem: the registration form's and the profile form's. */
export interface ProfileInput {
  readonly displayName: string;
  readonly handle: string;
}

interface RegistrationInput extends ProfileInput {
  readonly email: string;
  readonly password: string;
  readonly userId: string;
}

type Validated =
  | { readonly ok: true; readonly input: RegistrationInput }
  | {
      readonly ok: false;
      readonly errors: Partial<Record<RegistrationField, string>>;
      readonly email: string;
      readonly displayName: string;
      readonly handle: string;
      readonly userId: string | undefined;
    };

/**
 * The rules of a new password, typed twice (registration, a reset, a change on the account page):
 * one message per field that breaks one, none when both are good.
 */
export function newPasswordErrors(
  password: string,
  passwordAgain: string,
): { password?: string; passwordAgain?: string } {
  const errors: { password?: string; passwordAgain?: string } = {};
  // bcrypt reads only the first 72 bytes: a longer password would be silently cut.
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < MIN_PASSWORD_BYTES) errors.password = `Choose a password of at least ${MIN_PASSWORD_BYTES} characters.`;
  else if (bytes > MAX_PASSWORD_BYTES)
    errors.password = `That password is too long: a password holds ${PASSWORD_LENGTH_WORDS}. Choose a shorter one.`;
  // A tab, line break or NUL is seldom typed on purpose, and some keyboards and password fields
  // cannot type it again at log-in.
  else if (CONTROL_CHARACTER.test(password))
    errors.password =
      'A password cannot contain control characters (such as tabs or line breaks). Choose one without them.';
  if (password !== passwordAgain)
    errors.passwordAgain = 'The two passwords are not the same. Type the same password in both fields.';
  return errors;
}

/**
 * The name and handle typed, normalised, with what is wrong with each. What goes back into the
 * form is cut to a length the field can hold, so a huge post is not sent back whole.
 */
export function validateProfile(body: unknown): {
  input: ProfileInput;
  errors: Partial<Record<'displayName' | 'handle', string>>;
} {
  const displayName = normaliseDisplayName(text(body, 'displayName'));
  const handle = normaliseHandle(text(body, 'handle'));
  const errors: Partial<Record<'displayName' | 'handle', string>> = {};
  const nameProblem = displayNameProblem(displayName);
  if (nameProblem) errors.displayName = nameProblem;
  const handleProblemWords = handleProblem(handle);
  if (handleProblemWords) errors.handle = handleProblemWords;
  return { input: { displayName, handle }, errors };
}

/** What goes back into a refused form: at most a little more than the field holds. */
export function refilled({ displayName, handle }: ProfileInput): ProfileInput {
  return {
    displayName: [...displayName].slice(0, MAX_DISPLAY_NAME_LENGTH * 2).join(''),
    handle: handle.slice(0, MAX_HANDLE_LENGTH * 2),
  };
}

/** The registration form's rules, with one message per field that breaks one. */
export function validateRegistration(body: unknown): Validated {
  const email = normaliseEmail(text(body, 'email'));
  const password = text(body, 'password');
  const passwordAgain = text(body, 'passwordAgain');
  const userId = text(body, 'userId');
  const profile = validateProfile(body);
  const errors: Partial<Record<RegistrationField, string>> = { ...profile.errors };

  if (email === '') errors.email = 'Enter your email address.';
  else if (email.length > MAX_EMAIL_LENGTH)
    errors.email = `An email address has at most ${MAX_EMAIL_LENGTH} characters. Check the address you typed.`;
  else if (!emailSchema.safeParse(email).success)
    errors.email = 'That does not look like an email address (name@example.com).';

  Object.assign(errors, newPasswordErrors(password, passwordAgain));

  const validUserId = z.uuid().safeParse(userId).success;
  if (!validUserId) errors.userId = 'The form was damaged; it has been reset. Please fill it in again.';

  if (Object.keys(errors).length > 0)
    return {
      ok: false,
      errors,
      email: email.slice(0, MAX_EMAIL_LENGTH),
      ...refilled(profile.input),
      userId: validUserId ? userId.toLowerCase() : undefined,
    };
  return { ok: true, input: { email, ...profile.input, password, userId: userId.toLowerCase() } };
}
