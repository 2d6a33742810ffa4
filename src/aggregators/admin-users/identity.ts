import type { Knex } from 'knex';
import { identityEventSchemas, identityStreamName, normaliseEmail, type IdentityEvent } from '../../contracts/identity.ts';
import { createPersonalData, ERASED, openMessageField, type PersonalData } from '../../personal-data/seal.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import { ADMIN_ROLE } from '../user-credentials/index.ts';
import { byUserId, schemasOf } from './contract-subset.ts';

const IDENTITY_TYPES = ['Registered', 'RegistrationEmailSent', 'AdminRoleGranted', 'AdminRoleRevoked', 'UserErased'] as const;
type UserEvent = Recorded<Extract<IdentityEvent, { type: (typeof IDENTITY_TYPES)[number] }>>;
const schemas = schemasOf(identityEventSchemas, IDENTITY_TYPES);

/** The columns of admin_users that identity events own. */
interface IdentityColumns {
  email?: string;
  registered_at?: Date;
  welcome_email_sent_at?: Date;
  roles?: string[];
}

/** The row guard compares positions along one stream: an event must be in its user's stream. */
function parseUserEvent(message: RawMessage): UserEvent | undefined {
  const event = parseMessage(schemas, message);
  if (event && event.streamName !== identityStreamName(event.data.userId)) {
    throw new MessageDataError(event.id, event.type, `written to ${event.streamName}, not its user's stream`);
  }
  return event;
}

async function columnsOf(event: UserEvent, personalData: PersonalData): Promise<IdentityColumns> {
  switch (event.type) {
    case 'Registered': {
      // An erased user's sealed email no longer opens: a replay shows them erased too. One
      // altered in the store throws MessageDataError.
      const email = await openMessageField(personalData, event, event.data.userId, 'email', event.data.email);
      return { email: email === undefined ? ERASED : normaliseEmail(email), registered_at: event.time };
    }
    case 'UserErased':
      return { email: ERASED };
    case 'RegistrationEmailSent':
      return { welcome_email_sent_at: event.time };
    // Identity events are the only source of roles, and the admin role the only one they name.
    case 'AdminRoleGranted':
      return { roles: [ADMIN_ROLE] };
    case 'AdminRoleRevoked':
      return { roles: [] };
    default: {
      const unexpected: never = event;
      throw new Error(`no admin-users change for ${(unexpected as { type: string }).type}`);
    }
  }
}

interface UserChange {
  readonly userId: string;
  readonly columns: IdentityColumns;
  readonly position: number;
}

/** Folds by user; every sealed field is opened before anything is written. `passOver` takes an event whose field does not open, or (unset) it throws. */
async function foldByUser(events: readonly UserEvent[], personalData: PersonalData, passOver?: (event: UserEvent, error: MessageDataError) => void): Promise<UserChange[]> {
  const changes = new Map<string, UserChange>();
  for (const event of events) {
    const userId = event.data.userId.toLowerCase();
    const earlier = changes.get(userId)?.columns ?? {};
    let columns: IdentityColumns;
    try {
      columns = await columnsOf(event, personalData);
    } catch (error) {
      if (!(error instanceof MessageDataError) || !passOver) throw error;
      passOver(event, error);
      continue;
    }
    changes.set(userId, { userId, columns: { ...earlier, ...columns }, position: event.globalPosition });
  }
  return [...changes.values()].sort(byUserId);
}

async function upsert(events: readonly UserEvent[], trx: Knex.Transaction, passOver?: (event: UserEvent, error: MessageDataError) => void): Promise<void> {
  // The key table is read through the batch's transaction: same database, same snapshot.
  for (const { userId, columns, position } of await foldByUser(events, createPersonalData(trx), passOver)) {
    await trx('admin_users')
      .insert({ user_id: userId, ...columns, identity_position: position })
      .onConflict('user_id')
      .merge([...Object.keys(columns), 'identity_position'])
      .where((guard) => guard.whereNull('admin_users.identity_position').orWhere('admin_users.identity_position', '<', trx.ref('excluded.identity_position')));
  }
}

/**
 * One upsert per user per batch, of the identity columns only, guarded by identity_position: a
 * fold whose last event the row has seen changes nothing. Writing a whole fold over a row that
 * saw part of it is still right: each column takes its value after the fold's last event.
 * An event whose sealed email does not open (altered in the store) is passed over, as the live
 * subscriber skips it (identityHandler); a rebuild counts as skipped only what parse refuses.
 */
export const identityProjection: BatchProjection<UserEvent> = {
  parse: parseUserEvent,
  apply: (events, trx) => upsert(events, trx, () => undefined),
};

/**
 * What the live subscriber runs: one message at a time (one transaction per batch still). A
 * sealed field that does not open is known only once its key is read, past the contract check,
 * and a handler's MessageDataError is what the processor skips and records in skipped_messages;
 * from a batch projection's apply it would be retried and then stall the category.
 */
export async function identityHandler(message: RawMessage, trx: Knex.Transaction): Promise<void> {
  const event = parseUserEvent(message);
  if (event) await upsert([event], trx);
}
