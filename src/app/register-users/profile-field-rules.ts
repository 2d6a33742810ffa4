import { MAX_DISPLAY_NAME_LENGTH, MAX_HANDLE_LENGTH, MIN_HANDLE_LENGTH } from '../../contracts/profile-rules.ts';

/** The hints under the display name and handle fields, here and on /account/profile: the rules in a person's words. */
export const PROFILE_FIELD_RULES = {
  displayName: `Shown with your videos. Up to ${MAX_DISPLAY_NAME_LENGTH} characters; spaces, accents and other scripts are fine.`,
  handle: `Your page's address: /@handle. ${MIN_HANDLE_LENGTH} to ${MAX_HANDLE_LENGTH} characters: letters a–z, digits, - and _. Nobody else can have it.`,
  maxDisplayName: MAX_DISPLAY_NAME_LENGTH,
  maxHandle: MAX_HANDLE_LENGTH,
  minHandle: MIN_HANDLE_LENGTH,
} as const;
