import type { Knex } from 'knex';
import {
  ADMIN_ROLE,
  identityEventSchemas,
  identityStreamName,
  normaliseEmail,
  type IdentityEvent,
} from '../../contracts/identity.ts';
import { createPersonalData, ERASED, openMessageField, type PersonalData } from '../../personal-data/seal.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import { byUserId, schemasOf } from './contract-subset.ts';

const IDENTITY_TYPES = [
  'Registered',
  'EmailChanged',
  'RegistrationEmailSent',
  'AdminRoleGranted',
  'AdminRoleRevoked',
  'UserErased',
] as const;
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
    // The account moved to a verified new address: admins find it by that one.
    case 'EmailChanged': {
      const email = await openMessageField(personalData, event, event.data.userId, 'email', event.data.email);
      return { email: email === undefined ? ERASED : normaliseEmail(email) };
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

/**
 * Checks the contract and opens the sealed email (the key table is read through the batch's
 * transaction: same database, same snapshot). One altered in the store throws MessageDataError,
 * so it is skipped and recorded before anything is written, live and on rebuild alike.
 */
async function parseUserChange(message: RawMessage, trx: Knex.Transaction): Promise<UserChange | undefined> {
  const event = parseUserEvent(message);
  if (!event) return undefined;
  return {
    userId: event.data.userId.toLowerCase(),
    columns: await columnsOf(event, createPersonalData(trx)),
    position: event.globalPosition,
  };
}

/** Folds by user: each column takes its value after the user's last event in the batch. */
function foldByUser(changes: readonly UserChange[]): UserChange[] {
  const folded = new Map<string, UserChange>();
  for (const { userId, columns, position } of changes) {
    folded.set(userId, { userId, columns: { ...folded.get(userId)?.columns, ...columns }, position });
  }
  return [...folded.values()].sort(byUserId);
}

/**
 * One upsert per user per batch, of the identity columns only, guarded by identity_position: a
 * fold whose last event the row has seen changes nothing. Writing a whole fold over a row that
 * saw part of it is still right: each column takes its value after the fold's last event.
 */
export const identityProjection: BatchProjection<UserChange> = {
  parse: parseUserChange,
  async apply(changes, trx) {
    for (const { userId, columns, position } of foldByUser(changes)) {
      await trx('admin_users')
        .insert({ user_id: userId, ...columns, identity_position: position })
        .onConflict('user_id')
        .merge([...Object.keys(columns), 'identity_position'])
        .where((guard) => {
          guard
            .whereNull('admin_users.identity_position')
            .orWhere('admin_users.identity_position', '<', trx.ref('excluded.identity_position'));
        });
    }
  },
};
