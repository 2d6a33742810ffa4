import { REJECTION_REASONS } from '../../contracts/identity.ts';

type ReasonCode = (typeof REJECTION_REASONS)[keyof typeof REJECTION_REASONS];

/**
 * The one place a reason the identity component gives (a code kept in its events) becomes a
 * sentence for a person. Keyed by every code, so a new reason does not compile without its words.
 */
const SENTENCES: Record<ReasonCode, string> = {
  [REJECTION_REASONS.emailTaken]: 'That email address already has an account.',
  [REJECTION_REASONS.handleTaken]: 'That handle is taken: someone else has it. Choose another.',
  [REJECTION_REASONS.invalidProfile]:
    'That display name or handle is not allowed. Check the rules under each field and try again.',
  [REJECTION_REASONS.profileUnchanged]: 'Nothing was changed: that is the name and handle you have.',
  [REJECTION_REASONS.profileNotRegistered]:
    'This account is not registered (or no longer exists), so its name cannot be changed.',
  [REJECTION_REASONS.unknownEmail]: 'No account is registered with that email address.',
  [REJECTION_REASONS.notRegistered]: 'That account is not registered with that email address.',
  [REJECTION_REASONS.sameEmail]: 'That is already your account’s email address.',
  [REJECTION_REASONS.noAccount]: 'This account no longer exists.',
};

// A reason from an older or newer version of the component, which has no sentence here.
const UNKNOWN = 'We could not create this account. Go back to registration and try again.';

interface RefusalWords {
  readonly sentence: string;
  /** The address already has an account: its owner logs in instead of registering. */
  readonly logInInstead: boolean;
  /** What registering again means for this refusal, as a button says it. */
  readonly againLabel: string;
}

export function refusalWords(reason: string): RefusalWords {
  const sentence = (SENTENCES as Record<string, string | undefined>)[reason];
  return {
    sentence: sentence ?? UNKNOWN,
    logInInstead: reason === REJECTION_REASONS.emailTaken,
    againLabel:
      reason === REJECTION_REASONS.handleTaken ? 'Register with another handle' : 'Register with another address',
  };
}

/** The log-in page with the address already typed in. */
export function logInHref(email: string | undefined): string {
  return email ? `/auth/log-in?email=${encodeURIComponent(email)}` : '/auth/log-in';
}
