import type { Logger } from '../../../logger.ts';
import type { HandlerMap, MessageStore, Recorded } from '../../../message-store/index.ts';
import type { PersonalData } from '../../../personal-data/seal.ts';
import type { Send } from '../../../contracts/send-email.ts';
import { identityStreamName, type IdentityEvent } from '../../../contracts/identity.ts';
import { passwordEmailId } from '../ids.ts';
import { identityProjection } from '../identity.ts';
import { requestUserEmail } from '../user-email.ts';
import type { PasswordEmail, PasswordEmails } from '../password-emails.ts';

type PasswordEvent = Extract<IdentityEvent, { type: 'PasswordResetRequested' | 'PasswordChanged' }>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly personalData: PersonalData;
  readonly emails: PasswordEmails;
}

/** The emails the password events ask for: the reset link, and the notice that the password changed. */
export function createPasswordEventHandlers({
  messageStore,
  logger,
  personalData,
  emails,
}: Deps): Required<HandlerMap<PasswordEvent>> {
  /**
   * Writes a Send of `email` to the address on the user's stream (sealed as it is: send-email
   * opens it with their key, so an erasure before delivery stops it), once per event.
   */
  async function sendToUser(
    event: Recorded<PasswordEvent>,
    email: PasswordEmail,
    link?: Send['data']['link'],
  ): Promise<void> {
    const { userId } = event.data;
    const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
    await requestUserEmail({ messageStore, personalData, logger }, event, {
      userId,
      emailId: passwordEmailId(event.id),
      to: state.erased ? undefined : state.email,
      email,
      link,
    });
  }

  return {
    PasswordResetRequested: (event) =>
      sendToUser(event, emails.reset(), {
        purpose: 'password-reset',
        requestId: event.data.requestId,
        url: emails.resetUrl,
      }),
    PasswordChanged: (event) => sendToUser(event, emails.changed(event.data.how, event.time)),
  };
}
