import type { Logger } from '../../logger.ts';
import { follow, VersionConflictError, type MessageStore, type Recorded } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import type { RetryPolicy } from '../../subscription/retry.ts';
import { RECIPIENT_ERASED, sendEmailStreamName, type Send, type SendEmailEvent } from './contract.ts';
import { deliver } from './deliver.ts';
import { emailProjection } from './email.ts';
import type { MailTransport } from './outgoing-email.ts';

export interface SendHandlerDeps {
  readonly messageStore: MessageStore;
  readonly transport: MailTransport;
  readonly from: string;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  /** Aborted on stop: no further tries at the mail server. */
  readonly signal: AbortSignal;
  /** Opens a sealed `to`; without it only plain recipients can be sent to. */
  readonly personalData: PersonalData;
}

/**
 * Send: unless `sendEmail-<emailId>` already holds an answer, deliver the email and write
 * `Sent` or `Failed` at the version read, so of two deliveries racing only one answer lands.
 */
export function createSendHandler({ messageStore, transport, from, logger, retry, signal, personalData }: SendHandlerDeps) {
  // Answers for emails that went out but could not be written (the store failed). The engine
  // hands the command back, and the answer is written then without a second email. Only a
  // crash loses this; contract.md says why that window is accepted.
  const unrecorded = new Map<string, SendEmailEvent>();

  return async function handleSend(command: Recorded<Send>): Promise<void> {
    const { emailId, to, sealedFor, subject, text, html } = command.data;
    // The answers carry the recipient exactly as the command had it: sealed stays sealed.
    const recipient = { to, ...(sealedFor !== undefined && { sealedFor }) };
    const stream = sendEmailStreamName(emailId);
    const { state, version } = await messageStore.project(stream, emailProjection);
    if (state.answer) {
      unrecorded.delete(emailId);
      logger.debug({ emailId, answer: state.answer, commandId: command.id }, 'email already answered; command ignored');
      return;
    }

    let answer = unrecorded.get(emailId);
    if (!answer) {
      // The schema requires sealedFor with a sealed `to`; an erased key opens to undefined.
      const address = typeof to === 'string' ? to : sealedFor === undefined ? undefined : await personalData.open(sealedFor, to);
      if (address === undefined) {
        answer = follow(command, 'Failed', { emailId, ...recipient, reason: RECIPIENT_ERASED });
      } else {
        const delivery = await deliver({ emailId, from, to: address, subject, text, html }, { transport, policy: retry, signal, logger });
        answer = delivery.delivered
          ? follow(command, 'Sent', { emailId, ...recipient, subject })
          : follow(command, 'Failed', { emailId, ...recipient, reason: delivery.reason });
      }
      unrecorded.set(emailId, answer);
    }

    try {
      await messageStore.write(stream, answer, version);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      unrecorded.delete(emailId);
      logger.warn({ emailId, ours: answer.type }, 'another delivery of this email answered first; ours is not recorded');
      return;
    }
    unrecorded.delete(emailId);
    if (answer.type === 'Sent') logger.info({ emailId }, 'email sent');
    else logger.warn({ emailId, reason: answer.data.reason }, 'email failed');
  };
}
