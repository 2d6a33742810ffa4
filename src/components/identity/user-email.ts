import type { Logger } from '../../logger.ts';
import { follow, type Message, type MessageStore, type Recorded } from '../../message-store/index.ts';
import type { PersonalData, PersonalField } from '../../personal-data/seal.ts';
import { sendEmailCommandStreamName, type Send } from '../../contracts/send-email.ts';
import { identityStreamName } from '../../contracts/identity.ts';
import { answerId } from './ids.ts';

interface Deps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
  readonly logger: Logger;
}

/** One email to a user, as an identity event asks for it. */
interface UserEmail {
  readonly userId: string;
  /** Derived from the event: every delivery of it names the same command stream. */
  readonly emailId: string;
  /** The address as the user's stream holds it (sealed, or plain if older); undefined when there is none. */
  readonly to: PersonalField | undefined;
  readonly email: { readonly subject: string; readonly text: string; readonly html: string };
  /** An account link the body holds the place of (send-email signs it in at delivery). */
  readonly link?: Send['data']['link'];
}

/**
 * Writes the Send of a user's email, unless their address no longer opens (they were erased) or
 * the email was asked for already. `to` goes as it is: send-email opens a sealed one with the
 * user's key, so an erasure before delivery still stops it; the body names no address.
 */
export async function requestUserEmail(
  { messageStore, personalData, logger }: Deps,
  event: Recorded<Message>,
  { userId, emailId, to, email, link }: UserEmail,
): Promise<void> {
  const log = logger.child({ userId, emailId, about: event.type });
  if (to === undefined || (await personalData.open(userId, to)) === undefined)
    return log.info('no email: the user was erased');
  const stream = sendEmailCommandStreamName(emailId);
  if ((await messageStore.streamVersion(stream)) >= 0) return log.debug('email already requested');
  const recipient = typeof to === 'string' ? { to } : { to, sealedFor: userId };
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
  log.info('email requested');
}
