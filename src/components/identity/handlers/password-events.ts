import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { PersonalData } from '../../../personal-data/seal.ts';
import { sendEmailCommandStreamName, type Send } from '../../../contracts/send-email.ts';
import { identityStreamName, type IdentityEvent } from '../../../contracts/identity.ts';
import { answerId, passwordEmailId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import type { PasswordEmail, PasswordEmails } from '../password-emails.ts';

type PasswordEvent = Extract<IdentityEvent, { type: 'PasswordResetRequested' | 'PasswordChanged' }>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly personalData: PersonalData;
  readonly emails: PasswordEmails;
}

/** The emails the password events ask for: the reset link, and the notice that the password changed. */
export function createPasswordEventHandlers({ messageStore, logger, personalData, emails }: Deps): Required<HandlerMap<PasswordEvent>> {
  /**
   * Writes a Send of `email` to the address on the user's stream (sealed as it is: send-email
   * opens it with their key, so an erasure before delivery stops it), once per event.
   */
  async function sendToUser(event: Recorded<PasswordEvent>, email: PasswordEmail, link?: Send['data']['link']): Promise<void> {
    const { userId } = event.data;
    const emailId = passwordEmailId(event.id);
    const log = logger.child({ userId, emailId, about: event.type });
    const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
    if (state.erased || state.email === undefined || (await personalData.open(userId, state.email)) === undefined)
      return log.info('no email: the user was erased');
    const stream = sendEmailCommandStreamName(emailId);
    if ((await messageStore.streamVersion(stream)) >= 0) return log.debug('email already requested');
    const recipient = typeof state.email === 'string' ? { to: state.email } : { to: state.email, sealedFor: userId };
    const send: Send = follow(
      event,
      'Send',
      { emailId, ...recipient, ...email, link },
      { correlationStreamName: identityStreamName(userId) },
      answerId(emailId, 'Send'),
    );
    await messageStore.write(stream, send, -1);
    log.info('email requested');
  }

  return {
    PasswordResetRequested: (event) => sendToUser(event, emails.reset(), { purpose: 'password-reset', requestId: event.data.requestId, url: emails.resetUrl }),
    PasswordChanged: (event) => sendToUser(event, emails.changed(event.data.how, event.time)),
  };
}
