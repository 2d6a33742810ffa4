import type { Recorded } from '../../message-store/index.ts';
import {
  PASSWORD_RESET_LIFETIME_MS,
  PASSWORD_RESET_REFUSALS,
  type IdentityEvent,
  type PasswordResetRefusal,
} from '../../contracts/identity.ts';

/** A user's password-reset requests, as their identity stream tells it. */
export interface PasswordResets {
  /** The newest request: a newer one voids every older link. */
  readonly latest: { readonly requestId: string; readonly at: Date } | undefined;
  /** Every request made, by id. */
  readonly requested: ReadonlySet<string>;
  /** Requests whose link set a password: a link works once. */
  readonly used: ReadonlySet<string>;
  /**
   * Requests made before the password was changed another way or the address moved: a link sent
   * to a mailbox the owner may have just given up, or before they changed a password they feared
   * was known, must not outlive the change.
   */
  readonly outdated: ReadonlySet<string>;
}

export const NO_PASSWORD_RESETS: PasswordResets = {
  latest: undefined,
  requested: new Set(),
  used: new Set(),
  outdated: new Set(),
};

/** The resets after one identity event (events of other kinds change nothing). */
export function applyPasswordReset(resets: PasswordResets, event: Recorded<IdentityEvent>): PasswordResets {
  if (event.type === 'PasswordResetRequested') {
    const { requestId } = event.data;
    return { ...resets, latest: { requestId, at: event.time }, requested: new Set(resets.requested).add(requestId) };
  }
  if (event.type === 'PasswordChanged' && event.data.requestId !== undefined)
    return { ...resets, used: new Set(resets.used).add(event.data.requestId) };
  if (event.type === 'PasswordChanged' || event.type === 'EmailChanged')
    return { ...resets, outdated: new Set(resets.requested) };
  return resets;
}

/**
 * Why the link of `requestId` does not work at `at`, or undefined when it does: the request is
 * the user's, unused, made since their password or address last changed, their newest, and
 * younger than its lifetime, and the user is not erased.
 * Identity decides with this at the command's time (whether the token is the request's it checks
 * first, with account links); the link page asks it first, to say so before asking for anything.
 */
export function resetLinkRefusal(
  { resets, erased }: { readonly resets: PasswordResets; readonly erased: boolean },
  requestId: string,
  at: Date,
): PasswordResetRefusal | undefined {
  if (erased) return PASSWORD_RESET_REFUSALS.erased;
  if (!resets.requested.has(requestId)) return PASSWORD_RESET_REFUSALS.unknown;
  if (resets.used.has(requestId)) return PASSWORD_RESET_REFUSALS.used;
  if (resets.outdated.has(requestId)) return PASSWORD_RESET_REFUSALS.accountChanged;
  if (resets.latest?.requestId !== requestId) return PASSWORD_RESET_REFUSALS.voided;
  if (at.getTime() - resets.latest.at.getTime() >= PASSWORD_RESET_LIFETIME_MS) return PASSWORD_RESET_REFUSALS.expired;
  return undefined;
}
