import type { Knex } from 'knex';
import { IDENTITY_CATEGORY, identityEventSchemas, type IdentityEvent } from '../../contracts/identity.ts';
import { generatedDisplayName, generatedHandle } from '../../contracts/profile-rules.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { createPersonalData, openMessageField } from '../../personal-data/seal.ts';
import type { RawMessage, Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import type { ProjectionDefinition } from '../definition.ts';

export const USER_PROFILES_SUBSCRIBER_ID = 'aggregators:user-profiles';

const PROFILE_EVENTS = ['Registered', 'DisplayNameChanged', 'HandleChanged', 'UserErased'] as const;
type ProfileEvent = Recorded<Extract<IdentityEvent, { type: (typeof PROFILE_EVENTS)[number] }>>;
// Only these are checked against the contract: a broken event of another type is none of ours to skip.
const profileSchemas = Object.fromEntries(PROFILE_EVENTS.map((type) => [type, identityEventSchemas[type]])) as Pick<
  typeof identityEventSchemas,
  (typeof PROFILE_EVENTS)[number]
>;

/** What a profile event does to user_profiles, with its sealed fields opened; undefined: they no longer open (erased) or it does nothing. */
export type ProfileChange =
  | { readonly kind: 'registered'; readonly userId: string; readonly displayName: string; readonly handle: string }
  | { readonly kind: 'name'; readonly userId: string; readonly displayName: string }
  | { readonly kind: 'handle'; readonly userId: string; readonly handle: string }
  | { readonly kind: 'erased'; readonly userId: string };

/**
 * Opens the names with the user's key, through the batch's transaction: an erased user's no
 * longer open, so a replay after an erasure makes no row for them; a seal altered in the store
 * throws MessageDataError, so the message is skipped and recorded.
 */
export async function parseProfileChange(
  message: RawMessage,
  trx: Knex.Transaction,
): Promise<ProfileChange | undefined> {
  const event: ProfileEvent | undefined = parseMessage(profileSchemas, message);
  if (!event) return undefined;
  const { userId } = event.data;
  const personalData = createPersonalData(trx);
  const open = (field: string, value: Parameters<typeof personalData.open>[1]) =>
    openMessageField(personalData, event, userId, field, value);
  switch (event.type) {
    case 'Registered': {
      // Registered before names existed: the generated pair (never typed by anyone: profile-rules.ts).
      if (event.data.displayName === undefined || event.data.handle === undefined) {
        return {
          kind: 'registered',
          userId,
          displayName: generatedDisplayName(userId),
          handle: generatedHandle(userId),
        };
      }
      const displayName = await open('displayName', event.data.displayName);
      const handle = await open('handle', event.data.handle);
      return displayName === undefined || handle === undefined
        ? undefined
        : { kind: 'registered', userId, displayName, handle };
    }
    case 'DisplayNameChanged': {
      const displayName = await open('displayName', event.data.displayName);
      return displayName === undefined ? undefined : { kind: 'name', userId, displayName };
    }
    case 'HandleChanged': {
      const handle = await open('handle', event.data.handle);
      return handle === undefined ? undefined : { kind: 'handle', userId, handle };
    }
    case 'UserErased':
      return { kind: 'erased', userId };
    default: {
      const unexpected: never = event;
      throw new Error(`no profile change for ${(unexpected as { type: string }).type}`);
    }
  }
}

/**
 * A handle belongs to whoever was given it last. Its previous holder's row may still name it: an
 * erasure frees the handle (the key goes first) before its UserErased is written, so a new
 * user's Registered can come first. That row loses the handle; its own erasure follows.
 */
async function takeHandle(trx: Knex.Transaction, userId: string, handle: string): Promise<void> {
  await trx('user_profiles').where({ handle }).whereNot({ user_id: userId }).update({ handle: null });
}

/** One statement or two per event, each harmless when applied twice. */
async function applyChange(change: ProfileChange, trx: Knex.Transaction): Promise<void> {
  const { userId } = change;
  switch (change.kind) {
    case 'registered':
      await takeHandle(trx, userId, change.handle);
      await trx('user_profiles')
        .insert({ user_id: userId, display_name: change.displayName, handle: change.handle })
        .onConflict('user_id')
        .ignore();
      return;
    case 'name':
      await trx('user_profiles').where({ user_id: userId }).update({ display_name: change.displayName });
      return;
    case 'handle':
      await takeHandle(trx, userId, change.handle);
      await trx('user_profiles').where({ user_id: userId }).update({ handle: change.handle });
      return;
    case 'erased':
      await trx('user_profiles').where({ user_id: userId }).delete();
      return;
  }
}

const userProfilesProjection: BatchProjection<ProfileChange> = {
  parse: parseProfileChange,
  // In stream order: a later name must land after an earlier one.
  async apply(changes, trx) {
    for (const change of changes) await applyChange(change, trx);
  },
};

/**
 * user_profiles: each registered user's display name and handle, opened with their key, what
 * every page that names a person reads. An erased user's row is dropped (and never made again
 * on a rebuild: their names no longer open).
 */
export const userProfilesDefinition = {
  name: 'user-profiles',
  tables: ['user_profiles'],
  parts: [
    {
      subscriberId: USER_PROFILES_SUBSCRIBER_ID,
      category: IDENTITY_CATEGORY,
      projection: () => userProfilesProjection,
    },
  ],
} as const satisfies ProjectionDefinition;
