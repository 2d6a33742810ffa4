import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore } from '../../../message-store/index.ts';
import type { PersonalData } from '../../../personal-data/seal.ts';
import { sendEmailCommandStreamName, type Send } from '../../send-email/contract.ts';
import { identityStreamName, type IdentityEvent } from '../contract.ts';
import { answerId, registrationEmailId } from '../ids.ts';
import type { RegistrationEmail } from '../registration-email.ts';

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly renderRegistrationEmail: () => RegistrationEmail;
  readonly personalData: PersonalData;
}

/** Reactions to the component's own events: a new user is sent one welcome email. */
export function createEventHandlers({ messageStore, logger, renderRegistrationEmail, personalData }: Deps): HandlerMap<IdentityEvent> {
  return {
    async Registered(event) {
      const { userId } = event.data;
      const email = await personalData.open(userId, event.data.email);
      if (email === undefined) {
        logger.info({ userId }, 'no welcome email: the user was erased');
        return;
      }
      // The email's id comes from the user, so every delivery of Registered names the same
      // command stream; an existing stream means the email was asked for already.
      const emailId = registrationEmailId(userId);
      const stream = sendEmailCommandStreamName(emailId);
      if ((await messageStore.streamVersion(stream)) >= 0) {
        logger.debug({ userId, emailId }, 'welcome email already requested');
        return;
      }
      // `to` is the Registered event's sealed email as it is (send-email opens it with the user's
      // key, so erasing the user reaches it); the body does not name the address.
      const sealed = event.data.email;
      const recipient = typeof sealed === 'string' ? { to: sealed } : { to: sealed, sealedFor: userId };
      const send: Send = follow(
        event,
        'Send',
        { emailId, ...recipient, ...renderRegistrationEmail() },
        // send-email copies this onto Sent/Failed, and Message DB's correlation filter brings
        // exactly those answers back to this component.
        { correlationStreamName: identityStreamName(userId) },
        answerId(emailId, 'Send'),
      );
      await messageStore.write(stream, send, -1);
      logger.info({ userId, emailId }, 'welcome email requested');
    },
  };
}
