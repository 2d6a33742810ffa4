import { z } from 'zod';
import type { Logger } from '../../../logger.ts';
import { withoutAddresses } from '../../../personal-data/redact.ts';
import {
  follow,
  MessageDataError,
  type HandlerMap,
  type Message,
  type MessageStore,
  type Recorded,
} from '../../../message-store/index.ts';
import type { SendEmailEvent } from '../../../contracts/send-email.ts';
import { IDENTITY_CATEGORY, identityStreamName } from '../../../contracts/identity.ts';
import { answerId } from '../ids.ts';
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
    throw new MessageDataError(
      event.id,
      event.type,
      `metadata.correlationStreamName: not an identity stream (${JSON.stringify(correlation)})`,
    );
  }
  return userId;
}

type Answer = 'RegistrationEmailSent' | 'RegistrationEmailFailed' | 'RegistrationEmailDeferred';

/** Answers from send-email about emails this component asked for (read with correlation 'identity'). */
export function createSendEmailEventHandlers({ messageStore, logger }: Deps): HandlerMap<SendEmailEvent> {
  /** The event recording send-email's answer on the user's stream, its id derived from the answer. */
  function recording(event: Recorded<SendEmailEvent>, userId: string): Message<Answer, unknown> {
    const { emailId } = event.data;
    const as = <T extends Answer>(type: T, data: object) =>
      follow(event, type, { userId, emailId, ...data }, {}, answerId(event.id, type));
    switch (event.type) {
      case 'Sent':
        return as('RegistrationEmailSent', {});
      // send-email keeps addresses and paths out of its reasons; an address in one from before it did is cleaned here.
      case 'Failed':
        return as('RegistrationEmailFailed', { reason: withoutAddresses(event.data.reason) });
      case 'DeliveryDeferred':
        return as('RegistrationEmailDeferred', {
          attempts: event.data.attempts,
          reason: event.data.reason,
          nextAttemptAt: event.data.nextAttemptAt,
        });
    }
  }

  async function record(event: Recorded<SendEmailEvent>): Promise<void> {
    const userId = userOf(event);
    const { emailId } = event.data;
    const stream = identityStreamName(userId);
    const { state, version } = await messageStore.project(stream, identityProjection);
    // Other emails a user may be sent later (a password reset, say) answer to the same stream.
    if (!state.welcome.ids.has(emailId)) return;
    if (state.handled.has(event.globalPosition)) {
      logger.debug({ userId, emailId }, `${event.type} ignored: already recorded`);
      return;
    }
    const message = recording(event, userId);
    await messageStore.write(stream, message, version);
    logger.info({ userId, emailId }, `welcome email: ${event.type}`);
  }

  return { Sent: record, Failed: record, DeliveryDeferred: record };
}
