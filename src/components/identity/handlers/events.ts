import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { PersonalData, PersonalField } from '../../../personal-data/seal.ts';
import { sendEmailCommandStreamName, type Send } from '../../../contracts/send-email.ts';
import { identityStreamName, type IdentityEvent } from '../../../contracts/identity.ts';
import { answerId, registrationEmailId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import type { RegistrationEmail } from '../registration-email.ts';

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly renderRegistrationEmail: () => RegistrationEmail;
  readonly personalData: PersonalData;
}

/** Reactions to the component's own events: a new user is sent one welcome email, and another each time one is asked for again. */
export function createEventHandlers({ messageStore, logger, renderRegistrationEmail, personalData }: Deps): HandlerMap<IdentityEvent> {
  /**
   * Writes the Send of welcome email `emailId` to `sealed` (the address as the user's stream
   * holds it), unless the user is erased or the email was asked for already: the email's id
   * comes from the event, so every delivery of it names the same command stream.
   */
  async function requestWelcomeEmail(event: Recorded<IdentityEvent>, userId: string, emailId: string, sealed: PersonalField | undefined): Promise<void> {
    if (sealed === undefined || (await personalData.open(userId, sealed)) === undefined) {
      logger.info({ userId, emailId }, 'no welcome email: the user was erased');
      return;
    }
    const stream = sendEmailCommandStreamName(emailId);
    if ((await messageStore.streamVersion(stream)) >= 0) {
      logger.debug({ userId, emailId }, 'welcome email already requested');
      return;
    }
    // `to` is the sealed email as it is (send-email opens it with the user's key, so erasing the
    // user reaches it); the body does not name the address.
    const recipient = typeof sealed === 'string' ? { to: sealed } : { to: sealed, sealedFor: userId };
    const send: Send = follow(
      event,
      'Send',
      { emailId, ...recipient, ...renderRegistrationEmail() },
      // send-email copies this onto its answers, and Message DB's correlation filter brings
      // exactly those answers back to this component.
      { correlationStreamName: identityStreamName(userId) },
      answerId(emailId, 'Send'),
    );
    await messageStore.write(stream, send, -1);
    logger.info({ userId, emailId }, 'welcome email requested');
  }

  return {
    Registered: (event) => requestWelcomeEmail(event, event.data.userId, registrationEmailId(event.data.userId), event.data.email),
    async RegistrationEmailRequested(event) {
      const { userId, emailId } = event.data;
      // The address the user registered with, from their stream: unless erased since.
      const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
      await requestWelcomeEmail(event, userId, emailId, state.erased ? undefined : state.email);
    },
  };
}
