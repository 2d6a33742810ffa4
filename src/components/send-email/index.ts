import type { Logger } from '../../logger.ts';
import { createDispatcher } from '../../contracts/parse.ts';
import { type ConsumerGroup, type HandlerMap, type MessageStore, type RawMessage } from '../../message-store/index.ts';
import { createComponentProcessor } from '../../subscription/component-processor.ts';
import { plainOnlyPersonalData, type PersonalData } from '../../personal-data/seal.ts';
import { createSubscription, type Subscription, type SubscriptionSettings } from '../../subscription/subscription.ts';
import {
  SEND_EMAIL_COMMAND_CATEGORY,
  SEND_EMAIL_SUBSCRIBER_ID,
  sendEmailCommandSchemas,
  type SendEmailCommand,
} from '../../contracts/send-email.ts';
import { createDeliveryHandlers } from './handle-send.ts';
import type { MailTransport } from './outgoing-email.ts';
import { createRetryDueList, type RetryDueList } from './retry-due-list.ts';
import { RETRY_DELAYS, type RetryDelays } from './retry-schedule.ts';
import type { AccountLinks } from '../../account-links/index.ts';

export { createMailTransport, type MailTransport, type MailTransportConfig, type OutgoingEmail } from './transport.ts';
export { RETRY_DELAYS, type RetryDelays } from './retry-schedule.ts';

export interface SendEmailComponentDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly transport: MailTransport;
  /** MAIL_FROM: the From of every email. */
  readonly from: string;
  /**
   * MAIL_RETRY_WINDOW_SECONDS, in ms: how long an email that fails for a reason that may pass
   * is tried again, counted from its first failed try, before it is Failed.
   */
  readonly retryWindowMs: number;
  /** The waits between tries; RETRY_DELAYS unless given (tests make them short). */
  readonly retryDelays?: RetryDelays;
  /** The clock retries are scheduled by; Date.now unless given. */
  readonly now?: () => number;
  /** Jitter for the waits; Math.random unless given. */
  readonly random?: () => number;
  readonly consumerGroup?: ConsumerGroup;
  readonly subscription?: SubscriptionSettings;
  /** Opens a sealed recipient (`to` with `sealedFor`); without it a sealed `to` cannot be sent. */
  readonly personalData?: PersonalData;
  /** Signs the account links of emails that carry one; without it such an email is Failed. */
  readonly accountLinks?: AccountLinks;
}

export interface SendEmailComponent {
  /** Tries the emails: Send and RetrySend. */
  readonly subscription: Subscription;
  /** The retry schedule, read from the component's own events; it writes RetrySend when an email falls due. */
  readonly retries: RetryDueList;
  /** What the command subscription hands each command to; for tests and replays. */
  readonly handle: (message: RawMessage) => Promise<void>;
}

/**
 * Sends the emails commanded in `sendEmail:command` and answers each in `sendEmail-<emailId>`:
 * Sent, Failed, or DeliveryDeferred, tried again on a schedule until the retry window is spent.
 */
export function createSendEmailComponent({
  messageStore,
  logger,
  transport,
  from,
  retryWindowMs,
  retryDelays = RETRY_DELAYS,
  now = Date.now,
  random = Math.random,
  consumerGroup,
  subscription: settings,
  personalData = plainOnlyPersonalData,
  accountLinks,
}: SendEmailComponentDeps): SendEmailComponent {
  const componentLogger = logger.child({ component: 'send-email' });
  const handlers: Required<HandlerMap<SendEmailCommand>> = createDeliveryHandlers({
    messageStore,
    transport,
    from,
    logger: componentLogger,
    personalData,
    schedule: { ...retryDelays, windowMs: retryWindowMs },
    now,
    random,
    accountLinks,
  });
  // A command whose data breaks the contract throws MessageDataError here, which the engine parks.
  const handle = createDispatcher(sendEmailCommandSchemas, handlers);
  const processor = createComponentProcessor({
    messageStore,
    subscriberId: SEND_EMAIL_SUBSCRIBER_ID,
    handle,
    ...(consumerGroup && { consumerGroup }),
  });
  const subscription = createSubscription({
    messageStore,
    logger,
    subscriberId: SEND_EMAIL_SUBSCRIBER_ID,
    category: SEND_EMAIL_COMMAND_CATEGORY,
    processor,
    ...(consumerGroup && { consumerGroup }),
    ...settings,
  });
  // The same group member owns an email's command and event streams (both are named by its id).
  const retries = createRetryDueList({
    messageStore,
    logger: componentLogger,
    now,
    consumerGroup,
    subscription: settings,
  });
  return { handle, subscription, retries };
}
