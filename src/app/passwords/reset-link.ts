import type { AccountLinks } from '../../account-links/index.ts';
import {
  identityCommandSchemas,
  identityCommandStreamName,
  identityStreamName,
  PASSWORD_RESET_REFUSALS,
  type PasswordResetRefusal,
} from '../../contracts/identity.ts';
import { identityProjection } from '../../components/identity/identity.ts';
import { resetLinkRefusal } from '../../components/identity/password-resets.ts';
import type { MessageStore } from '../../message-store/index.ts';

type ResetLink =
  | { readonly ok: true; readonly userId: string; readonly requestId: string; readonly tokenHash: string }
  | { readonly ok: false; readonly reason: PasswordResetRefusal };

/**
 * What a reset link's page can tell before asking for anything: the token is signed for its
 * request (account links), the request is on record (its RequestPasswordReset names the user),
 * and the user's stream says it is still good at `at`, by the rule identity decides with.
 * Identity checks it all again when the new password arrives.
 */
export async function checkResetLink(
  messageStore: MessageStore,
  accountLinks: AccountLinks,
  token: string,
  at: Date,
): Promise<ResetLink> {
  const unknown = { ok: false, reason: PASSWORD_RESET_REFUSALS.unknown } as const;
  const requestId = accountLinks.requestIdOf(token);
  const tokenHash = accountLinks.hashOf(token);
  if (requestId === undefined || !accountLinks.matches('password-reset', requestId, tokenHash)) return unknown;
  const asked = await messageStore.readLastMessage(identityCommandStreamName(requestId), 'RequestPasswordReset');
  const parsed = identityCommandSchemas.RequestPasswordReset.safeParse(asked?.data);
  if (!parsed.success || parsed.data.requestId !== requestId) return unknown;
  const { userId } = parsed.data;
  const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
  const reason = resetLinkRefusal({ resets: state.resets, erased: state.erased }, requestId, at);
  return reason === undefined ? { ok: true, userId, requestId, tokenHash } : { ok: false, reason };
}

/** A refusal (PASSWORD_RESET_REFUSALS; any other reads as "not valid") as the person holding the link reads it: a heading and what to do. */
export function refusalPage(reason: string): { title: string; status: number; sentence: string } {
  switch (reason) {
    case PASSWORD_RESET_REFUSALS.expired:
      return {
        title: 'This link has expired',
        status: 410,
        sentence: 'A password reset link works for an hour. Ask for a new one.',
      };
    case PASSWORD_RESET_REFUSALS.used:
      return {
        title: 'This link was used already',
        status: 410,
        sentence: 'A password reset link works once. If you did not use it, ask for a new one.',
      };
    case PASSWORD_RESET_REFUSALS.voided:
      return {
        title: 'A newer link was sent',
        status: 410,
        sentence: 'Only the newest password reset link works. Use the one in the latest email, or ask for a new one.',
      };
    case PASSWORD_RESET_REFUSALS.accountChanged:
      return {
        title: 'This link no longer works',
        status: 410,
        sentence:
          'The password or the email address of this account changed after the link was sent. If you still need to, ask for a new one.',
      };
    case PASSWORD_RESET_REFUSALS.erased:
      return {
        title: 'This account was erased',
        status: 410,
        sentence: 'The account this link was for no longer exists. You can register again.',
      };
    default:
      return {
        title: 'This link does not work',
        status: 404,
        sentence: 'The link may be cut short or mistyped. Copy the whole link from the email, or ask for a new one.',
      };
  }
}
