import { identityStreamName } from '../../contracts/identity.ts';
import { userResendRefusal, welcomeEmailsProjection } from '../../components/identity/welcome-email.ts';
import type { MessageStore } from '../../message-store/index.ts';
import { durationInWords } from '../../web/duration-words.ts';

/** What the upload gate shows a user who has not confirmed their address. */
interface VerificationGate {
  /** The latest link is still on its way (or being retried): asking again would be refused behind it. */
  readonly onItsWay: boolean;
  /** They may have the link sent again now (the welcome email's rule: a few times a day). */
  readonly canAskAgain: boolean;
  /** Why not now, in words, when the limit refuses. */
  readonly notNow: string | undefined;
  readonly resendAction: string;
  /** Names the form, so posting it twice asks once. */
  readonly requestId: string;
}

/**
 * The link is the welcome email's, so "send the link again" is the welcome email's resend: its
 * rule (identity's, shown here first) and its route (register-users, which comes back here).
 */
export async function verificationGate(
  messageStore: MessageStore,
  userId: string,
  requestId: string,
  now = new Date(),
): Promise<VerificationGate> {
  const { state: welcome } = await messageStore.project(identityStreamName(userId), welcomeEmailsProjection);
  const refusal = userResendRefusal(welcome, now);
  const onItsWay = welcome.latest?.state === 'requested' || welcome.latest?.state === 'retrying';
  return {
    onItsWay,
    canAskAgain: refusal === undefined,
    notNow: refusal?.retryAt
      ? `You have asked for it several times today: you can ask again in ${durationInWords(Math.ceil((refusal.retryAt.getTime() - now.getTime()) / 1000))}.`
      : undefined,
    resendAction: `/register/${userId}/welcome-email`,
    requestId,
  };
}
