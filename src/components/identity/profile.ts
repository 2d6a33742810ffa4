import type { PersonalData, Sealed } from '../../personal-data/seal.ts';
import {
  displayNameProblem,
  generatedDisplayName,
  generatedHandle,
  handleProblem,
  normaliseDisplayName,
  normaliseHandle,
} from '../../contracts/profile-rules.ts';
import type { Identity } from './identity.ts';

export interface Profile {
  readonly displayName: string;
  readonly handle: string;
}

/**
 * A display name and handle sealed in a command, opened and checked: undefined when they no
 * longer open (the user was erased), 'invalid' when they break the rules (a sender that skipped
 * the form's checks), or as they must be stored (trimmed; the handle lower-cased).
 */
export async function openProfile(
  personalData: PersonalData,
  userId: string,
  sealed: { readonly displayName: Sealed; readonly handle: Sealed },
): Promise<Profile | 'invalid' | undefined> {
  const displayName = await personalData.open(userId, sealed.displayName);
  const handle = await personalData.open(userId, sealed.handle);
  if (displayName === undefined || handle === undefined) return undefined;
  const valid = displayName === normaliseDisplayName(displayName) && handle === normaliseHandle(handle);
  if (!valid || displayNameProblem(displayName) || handleProblem(handle)) return 'invalid';
  return { displayName, handle };
}

/** The name and handle a registered user has now: chosen, or generated for users from before names. Undefined once erased. */
export async function currentProfile(
  personalData: PersonalData,
  userId: string,
  state: Identity,
): Promise<Profile | undefined> {
  const displayName =
    state.displayName === undefined ? generatedDisplayName(userId) : await personalData.open(userId, state.displayName);
  const handle = state.handle === undefined ? generatedHandle(userId) : await personalData.open(userId, state.handle);
  return displayName === undefined || handle === undefined ? undefined : { displayName, handle };
}
