import { z } from 'zod';
import type { Logger } from '../../../logger.ts';
import { withoutAddresses } from '../../../personal-data/redact.ts';
import { follow, MessageDataError, type HandlerMap, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import type { SendEmailEvent } from '../../send-email/contract.ts';
import { IDENTITY_CATEGORY, identityStreamName } from '../contract.ts';
import { answerId, registrationEmailId } from '../ids.ts';
import { identityProjection } from '../identity.ts';

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
}

const userIdSchema = z.uuid();

/** The user whose identity stream started the email: send-email carries it back as the correlation. */
function userOf(event: Recorded<SendEmailEvent>): string {
  const correlation = event.metadata.correlationStreamName ?? '';
  const prefix = `${IDENTITY_CATEGORY}-`;
  const userId = correlation.startsWith(prefix) ? correlation.slice(prefix.length) : '';
  if (!userIdSchema.safeParse(userId).success) {
    throw new MessageDataError(event.id, event.type, `metadata.correlationStreamName: not an identity stream (${JSON.stringify(correlation)})`);
  }
  return userId;
}

/** Answers from send-email about emails this component asked for (read with correlation 'identity'). */
export function createSendEmailEventHandlers({ messageStore, logger }: Deps): HandlerMap<SendEmailEvent> {
  async function record(event: Recorded<SendEmailEvent>, answer: 'RegistrationEmailSent' | 'RegistrationEmailFailed', reason?: string): Promise<void> {
    const userId = userOf(event);
    const { emailId } = event.data;
    // Other emails a user may be sent later (a password reset, say) answer to the same stream.
    if (emailId !== registrationEmailId(userId)) return;
    const stream = identityStreamName(userId);
    const { state, version } = await messageStore.project(stream, identityProjection);
    if (state.handled.has(event.globalPosition)) {
      logger.debug({ userId, emailId }, `${event.type} ignored: already recorded`);
      return;
    }
    const message =
      answer === 'RegistrationEmailSent'
        ? follow(event, answer, { userId, emailId }, {}, answerId(event.id, answer))
        : // send-email keeps addresses out of its reasons; one from before it did is cleaned here.
          follow(event, answer, { userId, emailId, reason: withoutAddresses(reason ?? '') }, {}, answerId(event.id, answer));
    await messageStore.write(stream, message, version);
    logger.info({ userId, emailId }, answer === 'RegistrationEmailSent' ? 'welcome email sent' : 'welcome email failed');
  }

  return {
    Sent: (event) => record(event, 'RegistrationEmailSent'),
    Failed: (event) => record(event, 'RegistrationEmailFailed', event.data.reason),
  };
}
