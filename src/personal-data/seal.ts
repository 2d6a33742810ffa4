import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { MessageDataError } from '../message-store/errors.ts';

/**
 * Crypto-shredding: personal fields are written to the message store sealed with a per-user
 * AES-256-GCM key kept in personal_data.personal_data_keys (app database, outside the message
 * store and the projections). Erasing the user deletes the key: the messages stay, unreadable.
 * Every reader of a personal field opens it here.
 */

export const ERASED = '[erased]';
/** How a page that does not open sealed fields shows one. */
export const SEALED = '[sealed]';
const KEYS_TABLE = 'personal_data.personal_data_keys';

export const sealedSchema = z.object({ sealed: z.literal('v1'), iv: z.string(), tag: z.string(), data: z.string() });
export type Sealed = z.infer<typeof sealedSchema>;
/** A personal field as a contract reads it: plain (written before sealing landed) or sealed. */
export type PersonalField = string | Sealed;

/** A contract field that holds `plain` before this feature, or its sealed form after. */
export function personalField<T extends z.ZodType<string>>(plain: T) {
  return z.union([plain, sealedSchema]);
}

export const isSealed = (value: unknown): value is Sealed => sealedSchema.safeParse(value).success;

export function sealWith(key: Buffer, value: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return {
    sealed: 'v1',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** A sealed value that does not open with its user's key: altered in the store, or sealed with another key. */
export class SealBrokenError extends Error {
  override name = 'SealBrokenError';
}

/** Throws SealBrokenError when the value was altered (the GCM tag does not match, or the IV or tag is malformed). */
export function openWith(key: Buffer, value: Sealed): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(value.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(value.data, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new SealBrokenError(
      "the sealed value does not open with its user's key: altered in the store, or sealed with another key",
      { cause: error },
    );
  }
}

/**
 * Opens personal field `field` of a recorded message, for a projection. A sealed value that does
 * not open breaks the message's contract: MessageDataError, which an aggregator skips and records
 * (skipped_messages) rather than retrying and then stalling every later message of its category.
 */
export async function openMessageField(
  personalData: PersonalData,
  message: { readonly id: string; readonly type: string },
  userId: string,
  field: string,
  value: PersonalField,
): Promise<string | undefined> {
  try {
    return await personalData.open(userId, value);
  } catch (error) {
    if (error instanceof SealBrokenError)
      throw new MessageDataError(message.id, message.type, `${field}: ${error.message}`);
    throw error;
  }
}

export interface PersonalData {
  /** Seals `value` with the user's key, made on first use. Refuses once the user is erased. */
  seal(userId: string, value: string): Promise<Sealed>;
  /** The plain value; a plain string (an old message) as it is; undefined once the key is erased. */
  open(userId: string, value: PersonalField): Promise<string | undefined>;
  /** Deletes the user's key for good (the row stays, with erased_at). */
  erase(userId: string): Promise<void>;
  isErased(userId: string): Promise<boolean>;
}

interface KeyRow {
  key: Buffer | null;
  erased_at: Date | null;
}

/**
 * For code built without the key store (some tests, tools that only ever read old messages):
 * plain fields pass, a sealed one throws, so nothing is decided on a field it cannot read.
 */
export const plainOnlyPersonalData: PersonalData = {
  seal: () => Promise.reject(new Error('no key store: cannot seal personal data')),
  open: (_userId, value) =>
    typeof value === 'string'
      ? Promise.resolve(value)
      : Promise.reject(new Error('no key store: cannot open sealed personal data')),
  erase: () => Promise.reject(new Error('no key store: cannot erase')),
  isErased: () => Promise.resolve(false),
};

/**
 * Whether anything was ever sealed for the user: their key row exists, held or erased. Someone
 * identity never registered (refused as "email taken", a Register never handled) has one too,
 * and their sealed email and hash are erased the same way.
 */
export async function hasKeyRow(db: Knex, userId: string): Promise<boolean> {
  return (await db(KEYS_TABLE).where('user_id', userId).first('user_id')) !== undefined;
}

/** The ids of erased users, as a subquery: for reads that must pass over them in the same statement. */
export function erasedUserIds(db: Knex): Knex.QueryBuilder {
  return db(KEYS_TABLE).whereNotNull('erased_at').select('user_id');
}

/**
 * Whether the user named by the outer query's `userIdColumn` is erased, as a correlated subquery
 * (one primary-key lookup per row, where erasedUserIds reads every erased user): for whereNotExists.
 */
/** The same test as raw SQL, for a column list: true when the user of `userIdColumn` was erased. */
export const erasedSql = (userIdColumn: string): string =>
  `exists (select 1 from ${KEYS_TABLE} k where k.user_id = ${userIdColumn} and k.erased_at is not null)`;

export function erasureOf(db: Knex, userIdColumn: string): Knex.QueryBuilder {
  return db(KEYS_TABLE)
    .select(db.raw('1'))
    .whereNotNull('erased_at')
    .where(`${KEYS_TABLE}.user_id`, db.ref(userIdColumn));
}

/** A key store that reads each user's key once for its life, and can read many in one statement. */
export interface RememberingPersonalData extends PersonalData {
  /** Reads the keys of `userIds` (ids that are not uuids are passed over) in one statement, for the opens that follow. */
  preload(userIds: Iterable<string>): Promise<void>;
}

/**
 * `remember`: each user's key row is read once for the object's life (one batch of a
 * projection, say), not once a message. Only for opening what a later, uncached check guards:
 * an erasure committed meanwhile is not seen.
 */
export function createPersonalData(db: Knex, options: { readonly remember: true }): RememberingPersonalData;
export function createPersonalData(db: Knex, options?: { readonly remember?: boolean }): PersonalData;
export function createPersonalData(
  db: Knex,
  { remember = false }: { readonly remember?: boolean } = {},
): RememberingPersonalData {
  const read = async (userId: string): Promise<KeyRow | undefined> =>
    db(KEYS_TABLE).where('user_id', userId).first<KeyRow | undefined>('key', 'erased_at');
  const remembered = new Map<string, Promise<KeyRow | undefined>>();
  const keyOf = (userId: string): Promise<KeyRow | undefined> => {
    if (!remember) return read(userId);
    let row = remembered.get(userId);
    if (row === undefined) {
      row = read(userId);
      remembered.set(userId, row);
    }
    return row;
  };

  return {
    async seal(userId, value) {
      await db(KEYS_TABLE)
        .insert({ user_id: userId, key: randomBytes(32) })
        .onConflict('user_id')
        .ignore();
      const row = await read(userId);
      if (!row?.key) throw new Error(`user ${userId} is erased: nothing of theirs is sealed any more`);
      return sealWith(row.key, value);
    },
    async open(userId, value) {
      if (typeof value === 'string') return value;
      const row = await keyOf(userId);
      return row?.key ? openWith(row.key, value) : undefined;
    },
    async erase(userId) {
      remembered.delete(userId);
      await db(KEYS_TABLE)
        .insert({ user_id: userId, key: null, erased_at: db.fn.now() })
        .onConflict('user_id')
        .merge({ key: null, erased_at: db.raw('COALESCE(??, now())', [`${KEYS_TABLE}.erased_at`]) });
    },
    async isErased(userId) {
      const row = await keyOf(userId);
      return row?.erased_at != null;
    },
    async preload(userIds) {
      if (!remember) return;
      const wanted = [...new Set(userIds)].filter((id) => !remembered.has(id) && z.uuid().safeParse(id).success);
      if (wanted.length === 0) return;
      const rows = await db(KEYS_TABLE)
        .whereIn('user_id', wanted)
        .select<Array<KeyRow & { user_id: string }>>('user_id', 'key', 'erased_at');
      const found = new Map(rows.map(({ user_id, ...row }) => [user_id.toLowerCase(), row]));
      // Asked as given: a later open names the user as the batch did.
      for (const id of wanted) remembered.set(id, Promise.resolve(found.get(id.toLowerCase())));
    },
  };
}
