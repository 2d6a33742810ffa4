import type { Knex } from 'knex';
import { IDENTITY_CATEGORY, identityEventSchemas, type IdentityEvent } from '../../contracts/identity.ts';
import type { Logger } from '../../logger.ts';
import { createPersonalData, openMessageField, type PersonalData } from '../../personal-data/seal.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type ConsumerGroup, type MessageStore, type RawMessage, type Recorded } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type SubscriptionOptions } from '../../subscription/subscription.ts';

export const USER_CREDENTIALS_SUBSCRIBER_ID = 'aggregators:user-credentials';
export const ADMIN_ROLE = 'admin';

export interface UserCredentialsAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

const CREDENTIAL_EVENTS = ['Registered', 'AdminRoleGranted', 'AdminRoleRevoked', 'UserErased'] as const;
type CredentialEvent = Recorded<Extract<IdentityEvent, { type: (typeof CREDENTIAL_EVENTS)[number] }>>;
// Only these are checked against the contract: a broken event of another type is none of ours to skip.
const credentialSchemas = Object.fromEntries(CREDENTIAL_EVENTS.map((type) => [type, identityEventSchemas[type]])) as Pick<
  typeof identityEventSchemas,
  (typeof CREDENTIAL_EVENTS)[number]
>;

/**
 * One statement per event, each harmless when applied twice (a row is inserted once, a role is a
 * set member). The sealed email and hash are opened here: an erased user's no longer open, so a
 * replay after the erasure makes no row for them. A sealed field altered in the store throws
 * MessageDataError before anything is written.
 */
async function applyEvent(event: CredentialEvent, trx: Knex.Transaction, personalData: PersonalData): Promise<void> {
  switch (event.type) {
    case 'Registered': {
      const email = await openMessageField(personalData, event, event.data.userId, 'email', event.data.email);
      const passwordHash = await openMessageField(personalData, event, event.data.userId, 'passwordHash', event.data.passwordHash);
      if (email === undefined || passwordHash === undefined) return;
      await trx('user_credentials')
        .insert({ user_id: event.data.userId, email, password_hash: passwordHash, registered_at: event.time })
        .onConflict('user_id')
        .ignore();
      return;
    }
    case 'UserErased':
      await trx('user_credentials').where({ user_id: event.data.userId }).delete();
      return;
    case 'AdminRoleGranted':
      await trx('user_credentials')
        .where({ user_id: event.data.userId })
        .whereRaw('NOT (? = ANY(roles))', [ADMIN_ROLE])
        .update({ roles: trx.raw('array_append(roles, ?)', [ADMIN_ROLE]) });
      return;
    case 'AdminRoleRevoked':
      await trx('user_credentials')
        .where({ user_id: event.data.userId })
        .update({ roles: trx.raw('array_remove(roles, ?)', [ADMIN_ROLE]) });
      return;
    default: {
      const unexpected: never = event;
      throw new Error(`no credentials change for ${(unexpected as { type: string }).type}`);
    }
  }
}

/**
 * Keeps user_credentials (what log-in and the admin pages read) from the identity category.
 * The aggregator's position commits with each batch, so a replay applies nothing twice; each
 * statement is idempotent as well, so a rebuild over existing rows cannot go wrong either.
 */
export function createUserCredentialsAggregator({ db, messageStore, logger, consumerGroup, subscription }: UserCredentialsAggregatorDeps) {
  const personalData = createPersonalData(db);
  const parse = (message: RawMessage) => parseMessage(credentialSchemas, message);
  /** For a rebuild, which skips (and counts) only what parse refuses: a sealed field that does not open is passed over here, and said. */
  const projection: BatchProjection<CredentialEvent> = {
    parse,
    // In stream order: a user's grant and a later revoke must land in that order.
    async apply(events, trx) {
      for (const event of events) {
        try {
          await applyEvent(event, trx, personalData);
        } catch (error) {
          if (!(error instanceof MessageDataError)) throw error;
          logger.warn({ err: error, messageId: event.id, globalPosition: event.globalPosition }, 'a sealed field does not open; event passed over');
        }
      }
    },
  };

  // Live, one message at a time (in one transaction per batch, as before): a sealed field that
  // does not open is known only once its key is read, past the contract check, and only a
  // handler's MessageDataError is skipped and recorded by the processor rather than stalled on.
  const processor = createAggregatorProcessor({
    db,
    subscriberId: USER_CREDENTIALS_SUBSCRIBER_ID,
    async handle(message, trx) {
      const event = parse(message);
      if (event) await applyEvent(event, trx, personalData);
    },
    ...(consumerGroup && { consumerGroup }),
  });
  return {
    projection,
    subscription: createSubscription({
      messageStore,
      logger,
      subscriberId: USER_CREDENTIALS_SUBSCRIBER_ID,
      category: IDENTITY_CATEGORY,
      processor,
      ...(consumerGroup && { consumerGroup }),
      ...subscription,
    }),
  };
}
