import { REJECTION_REASONS, VERIFICATION_REFUSALS } from '../../contracts/identity.ts';

type VerificationReason = (typeof VERIFICATION_REFUSALS)[keyof typeof VERIFICATION_REFUSALS];

/** What a refused link means to the person holding it, and whether a new link would help. Keyed by every reason. */
const VERIFICATION_WORDS: Record<VerificationReason, { title: string; sentence: string; newLink: boolean }> = {
  [VERIFICATION_REFUSALS.invalid]: {
    title: 'This link does not work',
    sentence:
      'This link is not one we sent, or part of it is missing. Copy the whole link from the email and try again.',
    newLink: true,
  },
  [VERIFICATION_REFUSALS.superseded]: {
    title: 'A newer link was sent',
    sentence: 'We sent you a newer link since this one, and only the newest works. Use the link in the latest email.',
    newLink: true,
  },
  [VERIFICATION_REFUSALS.used]: {
    title: 'This link was already used',
    sentence:
      'This link has been used already: the address it was sent to was confirmed with it. There is nothing more to do.',
    newLink: false,
  },
  [VERIFICATION_REFUSALS.expired]: {
    title: 'This link has expired',
    sentence: 'Links work for 7 days, and this one is older. Ask for a new one.',
    newLink: true,
  },
  [VERIFICATION_REFUSALS.noAccount]: {
    title: 'No such account',
    sentence: 'The account this link was sent for no longer exists.',
    newLink: false,
  },
  [VERIFICATION_REFUSALS.taken]: {
    title: 'That address was taken meanwhile',
    sentence:
      'Someone else registered the new address while your link was waiting. Your account keeps its current address.',
    newLink: false,
  },
};

export function verificationWords(reason: string): { title: string; sentence: string; newLink: boolean } {
  return (
    (VERIFICATION_WORDS as Record<string, { title: string; sentence: string; newLink: boolean } | undefined>)[
      reason
    ] ?? {
      title: 'This link did not work',
      sentence: 'We could not confirm your address with this link. Ask for a new one.',
      newLink: true,
    }
  );
}

type ChangeReason = (typeof REJECTION_REASONS)[keyof typeof REJECTION_REASONS];

/** Why an email change was refused, as the person who asked reads it. */
const CHANGE_WORDS: Partial<Record<ChangeReason, string>> = {
  [REJECTION_REASONS.emailTaken]:
    'That email address already belongs to an account. Nothing was changed: your account keeps its address.',
  [REJECTION_REASONS.sameEmail]: 'That is already your account’s email address. Nothing was changed.',
  [REJECTION_REASONS.noAccount]: 'This account no longer exists.',
};

export function changeRefusalWords(reason: string): string {
  return (
    (CHANGE_WORDS as Record<string, string | undefined>)[reason] ??
    'Your email address could not be changed. Nothing was changed; try again.'
  );
}
