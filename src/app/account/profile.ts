/**
 * What other parts of issue 17 own and the account page shows: the display name and handle
 * (names & handles, /account/profile) and whether the email is verified (email verification,
 * /account/email). Undefined until those parts are wired in src/system.ts; the page then leaves
 * their rows out.
 */
export interface OwnedElsewhere {
  readonly displayName: string | undefined;
  readonly handle: string | undefined;
  readonly emailVerified: boolean | undefined;
}

/** PLACEHOLDER for the merge of issue 17: replace with the readers of H1's names and H3's verification. */
export const profileNotWiredYet = (): Promise<OwnedElsewhere> => Promise.resolve({ displayName: undefined, handle: undefined, emailVerified: undefined });
