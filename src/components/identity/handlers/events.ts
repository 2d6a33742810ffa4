import type { Logger } from '../../../logger.ts';
import type { HandlerMap, MessageStore, Recorded } from '../../../message-store/index.ts';
import type { PersonalData, PersonalField } from '../../../personal-data/seal.ts';
import { identityStreamName, type IdentityEvent } from '../../../contracts/identity.ts';
import { emailChangeEmailIds, registrationEmailId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import { requestUserEmail } from '../user-email.ts';
import type { RegistrationEmail } from '../registration-email.ts';

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly renderRegistrationEmail: () => RegistrationEmail;
  readonly renderEmailChange: {
    readonly verification: () => RegistrationEmail;
    readonly notice: () => RegistrationEmail;
  };
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
  /** The email `emailId` to `sealed`, carrying the verification link of `requestId` if any. */
  const requestEmail = (
    event: Recorded<IdentityEvent>,
    userId: string,
    emailId: string,
    sealed: PersonalField | undefined,
    email: RegistrationEmail,
    requestId: string | undefined,
  ): Promise<void> =>
    requestUserEmail({ messageStore, personalData, logger }, event, {
      userId,
      emailId,
      to: sealed,
      email,
      link: requestId === undefined ? undefined : { purpose: 'verify-email', requestId, url: verifyLinkUrl(userId) },
    });

  /** The welcome email's id is its verification request's id: one event asks for both. */
  const welcome = (
    event: Recorded<IdentityEvent>,
    userId: string,
    emailId: string,
    sealed: PersonalField | undefined,
  ) => requestEmail(event, userId, emailId, sealed, renderRegistrationEmail(), emailId);

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
