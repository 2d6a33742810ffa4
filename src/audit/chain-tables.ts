import type { Knex } from 'knex';
import type { SignedHead } from './signing.ts';

/** One link of the chain as stored: the message it covers and the chain's value after it. */
export interface StoredLink {
  readonly globalPosition: number;
  readonly messageId: string;
  readonly streamName: string;
  readonly position: number;
  readonly link: Buffer;
  /**
   * The global position of the link before this one when it was made (0 for the first link),
   * so a link row deleted together with its message is still seen. Null on links made before
   * the column existed.
   */
  readonly previousGlobalPosition: number | null;
}

interface LinkRow {
  global_position: string;
  message_id: string;
  stream_name: string;
  position: string;
  link: Buffer;
  previous_global_position: string | null;
}

interface HeadRow {
  global_position: string;
  link: Buffer;
  hmac: Buffer;
  key_id: string;
  signed_at: Date;
}

const linkFromRow = (row: LinkRow): StoredLink => ({
  globalPosition: Number(row.global_position),
  messageId: row.message_id,
  streamName: row.stream_name,
  position: Number(row.position),
  link: row.link,
  previousGlobalPosition:
    row.previous_global_position === null || row.previous_global_position === undefined
      ? null
      : Number(row.previous_global_position),
});

const headFromRow = (row: HeadRow): SignedHead => ({
  globalPosition: Number(row.global_position),
  link: row.link,
  hmac: row.hmac,
  keyId: row.key_id,
  signedAt: row.signed_at,
});

/** The newest link: where the chain goes on from. */
export async function lastLink(db: Knex): Promise<StoredLink | undefined> {
  const row = await db('audit_chain_links').orderBy('global_position', 'desc').first<LinkRow | undefined>();
  return row && linkFromRow(row);
}

/** Which of these global positions the chain already covers. */
export async function linkedPositions(db: Knex, globalPositions: readonly number[]): Promise<Set<number>> {
  if (globalPositions.length === 0) return new Set();
  const rows = await db('audit_chain_links')
    .whereIn('global_position', globalPositions)
    .select<Array<{ global_position: string }>>('global_position');
  return new Set(rows.map((row) => Number(row.global_position)));
}

/** A link as the aggregator makes it: always naming the one before. */
export type NewLink = StoredLink & { readonly previousGlobalPosition: number };

/** Appends links in one statement, however many: arrays unnested server side. */
export async function insertLinks(db: Knex, links: readonly NewLink[]): Promise<void> {
  if (links.length === 0) return;
  await db.raw(
    `INSERT INTO audit_chain_links (global_position, message_id, stream_name, position, link, previous_global_position)
     SELECT * FROM unnest(?::bigint[], ?::uuid[], ?::text[], ?::bigint[], ?::bytea[], ?::bigint[])`,
    [
      links.map((link) => link.globalPosition),
      links.map((link) => link.messageId),
      links.map((link) => link.streamName),
      links.map((link) => link.position),
      links.map((link) => link.link),
      links.map((link) => link.previousGlobalPosition),
    ],
  );
}

/** Up to `limit` links after `after` and at most `upTo`, in global order (a keyset page). */
export async function readLinksAfter(db: Knex, after: number, upTo: number, limit: number): Promise<StoredLink[]> {
  // The bound is applied here, not in SQL: see readRecordsAfter.
  const rows = await db('audit_chain_links')
    .where('global_position', '>', after)
    .orderBy('global_position')
    .limit(limit)
    .select<LinkRow[]>('global_position', 'message_id', 'stream_name', 'position', 'link', 'previous_global_position');
  return rows.map(linkFromRow).filter((link) => link.globalPosition <= upTo);
}

/**
 * How many links come after `after`, counting no further than `atMost`. It reads along the
 * primary key, so it costs the links counted, never the table's size. A plain count(*) of the
 * range is planned from the table's statistics. A catch-up grows the chain faster than anything
 * analyses it, and without statistics that plan was a parallel scan of every link, once a batch:
 * the chain's catch-up slowed as it grew.
 */
export async function countLinksAfter(db: Knex, after: number, atMost: number): Promise<number> {
  const result = await db.raw<{ rows: Array<{ count: string }> }>(
    `SELECT count(*) AS count FROM (
       SELECT 1 FROM audit_chain_links WHERE global_position > ? ORDER BY global_position LIMIT ?
     ) AS tail`,
    [after, atMost],
  );
  return Number(result.rows[0]?.count ?? 0);
}

export async function lastHead(db: Knex): Promise<SignedHead | undefined> {
  const row = await db('audit_chain_heads').orderBy('global_position', 'desc').first<HeadRow | undefined>();
  return row && headFromRow(row);
}

/** A head already stored at that position stays: it was true when signed, and still vouches. */
export async function insertHead(db: Knex, head: SignedHead): Promise<boolean> {
  const inserted = await db('audit_chain_heads')
    .insert({
      global_position: head.globalPosition,
      link: head.link,
      hmac: head.hmac,
      key_id: head.keyId,
      signed_at: head.signedAt,
    })
    .onConflict('global_position')
    .ignore()
    .returning('global_position');
  return inserted.length > 0;
}

/** Up to `limit` heads after `after` (and at most `upTo`), in global order. */
export async function readHeadsAfter(
  db: Knex,
  after: number,
  limit: number,
  upTo = Number.MAX_SAFE_INTEGER,
): Promise<SignedHead[]> {
  const rows = await db('audit_chain_heads')
    .where('global_position', '>', after)
    .orderBy('global_position')
    .limit(limit)
    .select<HeadRow[]>();
  return rows.map(headFromRow).filter((head) => head.globalPosition <= upTo);
}
