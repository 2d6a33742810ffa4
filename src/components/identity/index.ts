import type { Logger } from '../../logger.ts';
import { plainOnlyPersonalData, type PersonalData } from '../../personal-data/seal.ts';
import { createDispatcher } from '../../contracts/parse.ts';
import { type ConsumerGroup, type MessageStore, type RawMessage } from '../../message-store/index.ts';
import { createComponentProcessor } from '../../subscription/component-processor.ts';
import { createSubscription, type Subscription, type SubscriptionSettings } from '../../subscription/subscription.ts';
import { SEND_EMAIL_CATEGORY, sendEmailEventSchemas } from '../../contracts/send-email.ts';
import {
  IDENTITY_CATEGORY,
  IDENTITY_COMMAND_CATEGORY,
  identityCommandSchemas,
  identityEventSchemas,
} from '../../contracts/identity.ts';
import { createCommandHandlers } from './handlers/commands.ts';
import { createEventHandlers } from './handlers/events.ts';
import { createSendEmailEventHandlers } from './handlers/send-email-events.ts';
import { createEmailChangeEmails, createRegistrationEmail, verifyLinkUrl } from './registration-email.ts';
import { createPasswordEmails } from './password-emails.ts';
import { createPasswordEventHandlers } from './handlers/password-events.ts';
import type { AccountLinks } from '../../account-links/index.ts';

/** Subscriber ids name position and dead-letter streams: renaming one replays its category. */
export const IDENTITY_SUBSCRIBER_IDS = {
  commands: 'components:identity:commands',
  events: 'components:identity:events',
  sendEmailEvents: 'components:identity:send-email-events',
} as const;

interface SubscriberDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  /**
   * Opens the sealed emails of commands and events (src/personal-data). Without it only plain
   * (pre-sealing) fields are read; a sealed one throws and its message is parked.
   */
  readonly personalData?: PersonalData;
  readonly consumerGroup?: ConsumerGroup;
  readonly subscription?: SubscriptionSettings;
  /**
   * Signs and checks account links (src/account-links): ResetPassword and VerifyEmail need it to
   * check a token's hash, and are parked by a process built without it.
   */
  readonly accountLinks?: AccountLinks;
}

export interface IdentityComponentDeps extends SubscriberDeps {
  /** Where the site is served (https://example.com): the welcome email links to its log-in page. */
  readonly siteUrl: string;
}

function subscribe(
  { messageStore, logger, consumerGroup, subscription }: SubscriberDeps,
  subscriberId: string,
  category: string,
  handle: (message: RawMessage) => Promise<void>,
  correlation?: string,
): Subscription {
  return createSubscription({
    messageStore,
    logger,
    subscriberId,
    category,
    processor: createComponentProcessor({
      messageStore,
      subscriberId,
      handle,
      ...(consumerGroup && { consumerGroup }),
    }),
    ...(correlation !== undefined && { correlation }),
    ...(consumerGroup && { consumerGroup }),
    ...subscription,
  });
}

function commandHandler({
  messageStore,
  logger,
  personalData = plainOnlyPersonalData,
  accountLinks,
}: SubscriberDeps): (message: RawMessage) => Promise<void> {
  return createDispatcher(
    identityCommandSchemas,
    createCommandHandlers({ messageStore, logger, personalData, accountLinks }),
  );
}

/**
 * Only the command subscriber (Register, GrantAdminRole, RevokeAdminRole), for a tool that
 * must decide commands but sends no email (the admin CLI): it needs no siteUrl.
 */
export function createIdentityCommandSubscription(deps: SubscriberDeps): Subscription {
  const logger = deps.logger.child({ component: 'identity' });
  return subscribe(
    { ...deps, logger },
    IDENTITY_SUBSCRIBER_IDS.commands,
    IDENTITY_COMMAND_CATEGORY,
    commandHandler({ ...deps, logger }),
  );
}

/**
 * The identity component: registers users (one per email, first come first served), sends each
 * a welcome email through send-email and records how that went, and grants or revokes the
 * admin role. The handlers are returned too, so tests can race them directly.
 */
export function createIdentityComponent(deps: IdentityComponentDeps) {
  const logger = deps.logger.child({ component: 'identity' });
  const inner = { ...deps, logger };
  const { messageStore, personalData = plainOnlyPersonalData } = deps;
  const handlers = {
    commands: commandHandler(inner),
    events: createDispatcher(identityEventSchemas, {
      ...createEventHandlers({
        messageStore,
        logger,
        renderRegistrationEmail: createRegistrationEmail(deps.siteUrl),
        renderEmailChange: createEmailChangeEmails(deps.siteUrl),
        verifyLinkUrl: (userId) => verifyLinkUrl(deps.siteUrl, userId),
        personalData,
      }),
      ...createPasswordEventHandlers({
        messageStore,
        logger,
        personalData,
        emails: createPasswordEmails(deps.siteUrl),
      }),
    }),
    sendEmailEvents: createDispatcher(sendEmailEventSchemas, createSendEmailEventHandlers({ messageStore, logger })),
  };
  const subscriptions: Subscription[] = [
    subscribe(inner, IDENTITY_SUBSCRIBER_IDS.commands, IDENTITY_COMMAND_CATEGORY, handlers.commands),
    subscribe(inner, IDENTITY_SUBSCRIBER_IDS.events, IDENTITY_CATEGORY, handlers.events),
    // Message DB filters by correlation: only answers to emails this component asked for arrive.
    subscribe(
      inner,
      IDENTITY_SUBSCRIBER_IDS.sendEmailEvents,
      SEND_EMAIL_CATEGORY,
      handlers.sendEmailEvents,
      IDENTITY_CATEGORY,
    ),
  ];
  return { subscriptions, handlers };
}
