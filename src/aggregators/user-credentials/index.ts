import type { Knex } from 'knex';
import {
  ADMIN_ROLE,
  IDENTITY_CATEGORY,
  identityEventSchemas,
  normaliseEmail,
  type IdentityEvent,
} from '../../contracts/identity.ts';
import { createPersonalData, openMessageField } from '../../personal-data/seal.ts';
import { parseMessage } from '../../contracts/parse.ts';
import type { RawMessage, Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import type { ProjectionDefinition } from '../definition.ts';

export const USER_CREDENTIALS_SUBSCRIBER_ID = 'aggregators:user-credentials';

const CREDENTIAL_EVENTS = [
  'Registered',
  'PasswordChanged',
  'AdminRoleGranted',
  'AdminRoleRevoked',
  'UserErased',
  'EmailVerified',
  'EmailChanged',
] as const;
type CredentialEvent = Recorded<Extract<IdentityEvent, { type: (typeof CREDENTIAL_EVENTS)[number] }>>;
// Only these are checked against the contract: a broken event of another type is none of ours to skip.
const credentialSchemas = Object.fromEntries(
  CREDENTIAL_EVENTS.map((type) => [type, identityEventSchemas[type]]),
) as Pick<typeof identityEventSchemas, (typeof CREDENTIAL_EVENTS)[number]>;

/** A credentials event, with its sealed fields opened (undefined: the user was erased, its key is gone). */
type CredentialChange = {
  readonly event: CredentialEvent;
  readonly opened?: { readonly email?: string; readonly passwordHash: string };
  readonly newEmail?: string | undefined;
};

/**
 * Checks the contract and opens a registration's sealed email and hash (through the batch's
 * transaction: same database, same snapshot). An erased user's no longer open, so a replay after
 * the erasure makes no row for them; a sealed field altered in the store throws MessageDataError,
 * so it is skipped and recorded before anything is written, live and on rebuild alike.
 */
async function parseCredentialChange(
  message: RawMessage,
  trx: Knex.Transaction,
): Promise<CredentialChange | undefined> {
  const event = parseMessage(credentialSchemas, message);
  if (event?.type === 'PasswordChanged') {
    const passwordHash = await openMessageField(
      createPersonalData(trx),
      event,
      event.data.userId,
      'passwordHash',
      event.data.passwordHash,
    );
    return { event, opened: passwordHash === undefined ? undefined : { passwordHash } };
  }
  if (event?.type === 'EmailChanged') {
    return {
      event,
      newEmail: await openMessageField(createPersonalData(trx), event, event.data.userId, 'email', event.data.email),
    };
  }
  if (event?.type !== 'Registered') return event && { event };
  const personalData = createPersonalData(trx);
  const email = await openMessageField(personalData, event, event.data.userId, 'email', event.data.email);
  const passwordHash = await openMessageField(
    personalData,
    event,
    event.data.userId,
    'passwordHash',
    event.data.passwordHash,
  );
  return { event, opened: email === undefined || passwordHash === undefined ? undefined : { email, passwordHash } };
}

/** One statement per event, each harmless when applied twice (a row is inserted once, a role is a set member). */
async function applyChange({ event, opened, newEmail }: CredentialChange, trx: Knex.Transaction): Promise<void> {
  switch (event.type) {
    case 'Registered':
      if (!opened?.email) return;
      await trx('user_credentials')
        .insert({
          user_id: event.data.userId,
          email: opened.email,
          password_hash: opened.passwordHash,
          registered_at: event.time,
        })
        .onConflict('user_id')
        .ignore();
      return;
    // The new hash, and one more change counted: sessions started under the old count end
    // (sessions.ts). The position guard makes a second application change nothing.
    case 'PasswordChanged':
      if (!opened) return;
      await trx('user_credentials')
        .where({ user_id: event.data.userId })
        .where('password_changed_position', '<', event.globalPosition)
        .update({
          password_hash: opened.passwordHash,
          password_version: trx.raw('password_version + 1'),
          password_changed_position: event.globalPosition,
        });
      return;
    case 'EmailVerified':
      await trx('user_credentials').where({ user_id: event.data.userId }).update({ email_verified: true });
      return;
    // The new address was verified by its link: log-in finds the account by it from now on.
    case 'EmailChanged':
      if (newEmail === undefined) return;
      await trx('user_credentials')
        .where({ user_id: event.data.userId })
        .update({ email: normaliseEmail(newEmail), email_verified: true });
      return;
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

const userCredentialsProjection: BatchProjection<CredentialChange> = {
  parse: parseCredentialChange,
  // In stream order: a user's grant and a later revoke must land in that order.
  async apply(changes, trx) {
    for (const change of changes) await applyChange(change, trx);
  },
};

/**
 * Keeps user_credentials (what log-in and the admin pages read) from the identity category.
 * The aggregator's position commits with each batch, so a replay applies nothing twice; each
 * statement is idempotent as well, so a rebuild over existing rows cannot go wrong either.
 */
export const userCredentialsDefinition = {
  name: 'user-credentials',
  tables: ['user_credentials'],
  parts: [
    {
      subscriberId: USER_CREDENTIALS_SUBSCRIBER_ID,
      category: IDENTITY_CATEGORY,
      projection: () => userCredentialsProjection,
    },
  ],
} as const satisfies ProjectionDefinition;
