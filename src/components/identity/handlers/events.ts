import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { PersonalData, PersonalField } from '../../../personal-data/seal.ts';
import { sendEmailCommandStreamName, type Send } from '../../../contracts/send-email.ts';
import { identityStreamName, type IdentityEvent } from '../../../contracts/identity.ts';
import { answerId, emailChangeEmailIds, registrationEmailId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import type { RegistrationEmail } from '../registration-email.ts';

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly renderRegistrationEmail: () => RegistrationEmail;
  readonly renderEmailChange: { readonly verification: () => RegistrationEmail; readonly notice: () => RegistrationEmail };
  /** The verification page's prefix for a user's links; send-email appends the token. */
  readonly verifyLinkUrl: (userId: string) => string;
  readonly personalData: PersonalData;
}

/**
 * Reactions to the component's own events: a new user is sent one welcome email carrying their
 * verification link, another each time one is asked for again, and an email change sends its link
 * to the new address and a notice to the current one.
 */
export function createEventHandlers({
  messageStore,
  logger,
  renderRegistrationEmail,
  renderEmailChange,
  verifyLinkUrl,
  personalData,
}: Deps): HandlerMap<IdentityEvent> {
  /**
   * Writes the Send of email `emailId` to `sealed` (an address as the user's stream holds it),
   * unless the user is erased or the email was asked for already: the email's id comes from the
   * event, so every delivery of it names the same command stream. `requestId` names the
   * verification link the email carries, if any.
   */
  async function requestEmail(
    event: Recorded<IdentityEvent>,
    userId: string,
    emailId: string,
    sealed: PersonalField | undefined,
    email: RegistrationEmail,
    requestId: string | undefined,
  ): Promise<void> {
    if (sealed === undefined || (await personalData.open(userId, sealed)) === undefined) {
      logger.info({ userId, emailId }, 'no email: the user was erased');
      return;
    }
    const stream = sendEmailCommandStreamName(emailId);
    if ((await messageStore.streamVersion(stream)) >= 0) {
      logger.debug({ userId, emailId }, 'email already requested');
      return;
    }
    // `to` is the sealed email as it is (send-email opens it with the user's key, so erasing the
    // user reaches it); the body does not name the address, and holds the link's place, not its token.
    const recipient = typeof sealed === 'string' ? { to: sealed } : { to: sealed, sealedFor: userId };
    const link = requestId === undefined ? undefined : { purpose: 'verify-email' as const, requestId, url: verifyLinkUrl(userId) };
    const send: Send = follow(
      event,
      'Send',
      { emailId, ...recipient, ...email, link },
      // send-email copies this onto its answers, and Message DB's correlation filter brings
      // exactly those answers back to this component.
      { correlationStreamName: identityStreamName(userId) },
      answerId(emailId, 'Send'),
    );
    await messageStore.write(stream, send, -1);
    logger.info({ userId, emailId }, 'email requested');
  }

  /** The welcome email's id is its verification request's id: one event asks for both. */
  const welcome = (event: Recorded<IdentityEvent>, userId: string, emailId: string, sealed: PersonalField | undefined) =>
    requestEmail(event, userId, emailId, sealed, renderRegistrationEmail(), emailId);

  return {
    Registered: (event) => welcome(event, event.data.userId, registrationEmailId(event.data.userId), event.data.email),
    async RegistrationEmailRequested(event) {
      const { userId, emailId } = event.data;
      // The account's address now, from their stream: unless erased since.
      const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
      await welcome(event, userId, emailId, state.erased ? undefined : state.email);
    },
    async EmailChangeRequested(event) {
      const { userId, requestId, email } = event.data;
      const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
      if (state.erased) return;
      const ids = emailChangeEmailIds(requestId);
      await requestEmail(event, userId, ids.verification, email, renderEmailChange.verification(), requestId);
      // The notice goes to the address the account had when the change was asked for; if it has
      // switched since (a replay), that is the new one, and the notice says nothing it should not.
      await requestEmail(event, userId, ids.notice, state.email, renderEmailChange.notice(), undefined);
    },
  };
}
