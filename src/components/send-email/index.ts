import type { Logger } from '../../logger.ts';
import { createDispatcher, type ConsumerGroup, type HandlerMap, type MessageStore, type RawMessage } from '../../message-store/index.ts';
import { createComponentProcessor } from '../../subscription/component-processor.ts';
import { plainOnlyPersonalData, type PersonalData } from '../../personal-data/seal.ts';
import type { RetryPolicy } from '../../subscription/retry.ts';
import { createSubscription, type Subscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import { SEND_EMAIL_COMMAND_CATEGORY, SEND_EMAIL_SUBSCRIBER_ID, sendEmailCommandSchemas, type SendEmailCommand } from './contract.ts';
import { DELIVERY_RETRY } from './deliver.ts';
import { createSendHandler } from './handle-send.ts';
import type { MailTransport } from './outgoing-email.ts';

export { createMailTransport, type MailTransport, type MailTransportConfig, type OutgoingEmail } from './transport.ts';
export { DELIVERY_RETRY } from './deliver.ts';

export interface SendEmailComponentDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly transport: MailTransport;
  /** MAIL_FROM: the From of every email. */
  readonly from: string;
  readonly consumerGroup?: ConsumerGroup;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
  /** Tries at the mail server per email before `Failed`; DELIVERY_RETRY unless given. */
  readonly deliveryRetry?: RetryPolicy;
  /** Opens a sealed recipient (`to` with `sealedFor`); without it a sealed `to` cannot be sent. */
  readonly personalData?: PersonalData;
}

export interface SendEmailComponent {
  readonly subscription: Subscription;
  /** What the subscription hands each command to; for tests and replays. */
  readonly handle: (message: RawMessage) => Promise<void>;
}

/** Sends the emails commanded in `sendEmail:command` and answers each in `sendEmail-<emailId>`. */
export function createSendEmailComponent({
  messageStore,
  logger,
  transport,
  from,
  consumerGroup,
  subscription: settings,
  deliveryRetry = DELIVERY_RETRY,
  personalData = plainOnlyPersonalData,
}: SendEmailComponentDeps): SendEmailComponent {
  const stopping = new AbortController();
  const handlers: Required<HandlerMap<SendEmailCommand>> = {
    Send: createSendHandler({ messageStore, transport, from, logger: logger.child({ component: 'send-email' }), retry: deliveryRetry, signal: stopping.signal, personalData }),
  };
  // A Send whose data breaks the contract throws MessageDataError here, which the engine parks.
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
  return {
    handle,
    subscription: {
      ...subscription,
      async stop() {
        // Both signals are raised in this turn, before an interrupted delivery's error reaches
        // the engine: it takes that for a stop, not a failure, so the command is neither
        // retried, parked nor answered, and comes again at the next start.
        const stopped = subscription.stop();
        stopping.abort();
        await stopped;
      },
    },
  };
}
