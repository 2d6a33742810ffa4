import type { Logger } from '../../logger.ts';
import { parseMessage } from '../../contracts/parse.ts';
import {
  follow,
  MessageDataError,
  VersionConflictError,
  type HandlerMap,
  type MessageStore,
  type Recorded,
} from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import {
  RECIPIENT_ERASED,
  sendEmailCommandSchemas,
  sendEmailCommandStreamName,
  sendEmailStreamName,
  type RetrySend,
  type Send,
  type SendEmailCommand,
  type SendEmailEvent,
} from '../../contracts/send-email.ts';
import { deliverOnce } from './deliver.ts';
import { emailProjection, type EmailState } from './email.ts';
import type { MailTransport } from './outgoing-email.ts';
import { LINK_PLACEHOLDER, type AccountLinks } from '../../account-links/index.ts';
import { afterFailedTry, triedFor, type RetrySchedule } from './retry-schedule.ts';

export interface DeliveryHandlerDeps {
  readonly messageStore: MessageStore;
  readonly transport: MailTransport;
  readonly from: string;
  readonly logger: Logger;
  /** Opens a sealed `to`; without it only plain recipients can be sent to. */
  readonly personalData: PersonalData;
  readonly schedule: RetrySchedule;
  /** The clock the retry times are read from (ms since the epoch). */
  readonly now: () => number;
  /** Jitter for the retry delays. */
  readonly random: () => number;
  /** Signs an account link at delivery; a Send with a link and no signer is refused. */
  readonly accountLinks: AccountLinks | undefined;
}

/** The email's text and HTML with its account link, if it has one, put in place. */
function withLink(
  send: Send['data'],
  accountLinks: AccountLinks | undefined,
): { text: string; html: string } | undefined {
  const { text, html, link } = send;
  if (link === undefined) return { text, html };
  if (accountLinks === undefined) return undefined;
  // A uuid, a dot and base64url: nothing to escape in HTML, and the url was checked as a URL.
  const url = `${link.url}${accountLinks.tokenFor(link.purpose, link.requestId)}`;
  return { text: text.split(LINK_PLACEHOLDER).join(url), html: html.split(LINK_PLACEHOLDER).join(url) };
}

/** Failed's reason for a link this process cannot sign (it was started without the cookie key). */
const NO_LINK_SIGNER = 'account links cannot be signed here';

/**
 * Send and RetrySend: each makes at most one try at the transport, and answers with Sent,
 * Failed, or DeliveryDeferred (tried again later by the retry schedule, retry-due-list.ts). No
 * handler waits between tries, so an email that keeps failing never holds up the ones behind
 * it. Each writes at the stream version it read, so of two deliveries racing one answer lands.
 */
export function createDeliveryHandlers({
  messageStore,
  transport,
  from,
  logger,
  personalData,
  schedule,
  now,
  random,
  accountLinks,
}: DeliveryHandlerDeps): Required<HandlerMap<SendEmailCommand>> {
  // Answers to tries that were made but could not be written (the store failed), by email and
  // try. The engine hands the command back, and the answer is written then without a second
  // try. Only a crash loses this; src/contracts/send-email.md says why that window is accepted.
  const unrecorded = new Map<string, SendEmailEvent>();

  /** The email's Send, for a retry: the first in its command stream (a sender may have written it twice). */
  async function sendOf(retry: Recorded<RetrySend>): Promise<Recorded<Send>> {
    const stream = sendEmailCommandStreamName(retry.data.emailId);
    for (const message of await messageStore.readStream(stream)) {
      const command = message.type === 'Send' ? parseMessage(sendEmailCommandSchemas, message) : undefined;
      if (command?.type === 'Send') return command;
    }
    throw new MessageDataError(retry.id, retry.type, `no Send for email ${retry.data.emailId} in ${stream}`);
  }

  /** The answer to one try: the transport is asked at most once. */
  async function tryOnce(
    command: Recorded<SendEmailCommand>,
    send: Recorded<Send>,
    state: EmailState,
  ): Promise<SendEmailEvent> {
    const { emailId, to, sealedFor, subject } = send.data;
    // The answers carry the recipient exactly as the command had it: sealed stays sealed.
    const recipient = { to, ...(sealedFor !== undefined && { sealedFor }) };
    // The schema requires sealedFor with a sealed `to`; an erased key opens to undefined.
    const address =
      typeof to === 'string' ? to : sealedFor === undefined ? undefined : await personalData.open(sealedFor, to);
    if (address === undefined) return follow(command, 'Failed', { emailId, ...recipient, reason: RECIPIENT_ERASED });

    const body = withLink(send.data, accountLinks);
    if (body === undefined) return follow(command, 'Failed', { emailId, ...recipient, reason: NO_LINK_SIGNER });
    const delivery = await deliverOnce({ emailId, from, to: address, subject, ...body }, transport);
    if (delivery.outcome === 'delivered') return follow(command, 'Sent', { emailId, ...recipient, subject });
    if (delivery.outcome === 'refused')
      return follow(command, 'Failed', { emailId, ...recipient, reason: delivery.reason });
    const at = now();
    const step = afterFailedTry(state, at, schedule, random);
    if (step.next === 'give up') {
      return follow(command, 'Failed', {
        emailId,
        ...recipient,
        reason: `${delivery.reason} (not accepted after ${triedFor(step.attempts, step.failingSince, at)})`,
      });
    }
    const { attempts, failingSince, nextAttemptAt } = step;
    return follow(command, 'DeliveryDeferred', {
      emailId,
      attempts,
      reason: delivery.reason,
      failingSince,
      nextAttemptAt,
    });
  }

  /**
   * Tries the email unless its stream already holds an answer, or tries were made since the
   * command was written (`triesBefore`: 0 for a Send, the deferral's count for a RetrySend): a
   * Send delivered again while its retries are scheduled, or a retry overtaken by another.
   */
  async function attempt(
    command: Recorded<SendEmailCommand>,
    triesBefore: number,
    sendFor: () => Promise<Recorded<Send>>,
  ): Promise<void> {
    const { emailId } = command.data;
    const stream = sendEmailStreamName(emailId);
    const { state, version } = await messageStore.project(stream, emailProjection);
    const log = logger.child({ emailId, commandId: command.id, type: command.type });
    if (state.answer || state.attempts !== triesBefore) {
      log.debug(
        { answer: state.answer, attempts: state.attempts },
        state.answer ? 'email already answered; command ignored' : 'email tried since this command; ignored',
      );
      return;
    }

    const key = `${emailId}/${state.attempts}`;
    const answer = unrecorded.get(key) ?? (await tryOnce(command, await sendFor(), state));
    unrecorded.set(key, answer);
    try {
      await messageStore.write(stream, answer, version);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      unrecorded.delete(key);
      log.warn({ ours: answer.type }, 'another delivery of this email answered first; ours is not recorded');
      return;
    }
    unrecorded.delete(key);
    if (answer.type === 'Sent') log.info('email sent');
    else if (answer.type === 'Failed') log.warn({ reason: answer.data.reason }, 'email failed');
    else
      log.warn(
        { reason: answer.data.reason, attempts: answer.data.attempts, nextAttemptAt: answer.data.nextAttemptAt },
        'email not accepted; trying again later',
      );
  }

  return {
    Send: (command) => attempt(command, 0, async () => command),
    RetrySend: (command) => attempt(command, command.data.attempts, () => sendOf(command)),
  };
}
