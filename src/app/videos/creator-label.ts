import type { Knex } from 'knex';
import { ERASED, erasedSql } from '../../personal-data/seal.ts';

/**
 * How a creator is named to viewers: their display name and handle from user_profiles (the page
 * links the name to /@<handle>). An erased creator is `[erased]` (a video an admin erasure left
 * published). Without a row otherwise (the projection not there yet) the pseudonym from their
 * user id that every video showed before names existed, and no link: nothing from their email or
 * sealed fields is ever shown in its place.
 */
export const CREATOR_LABEL_SQL = `case when ${erasedSql('v.owner_id')} then '${ERASED}' else coalesce(p.display_name, 'creator-' || left(replace(v.owner_id::text, '-', ''), 6)) end as creator, p.handle as creator_handle`;

/** Joins the creator's profile to a query over `videos as v`. */
export function withCreatorProfile<Q extends Knex.QueryBuilder>(query: Q): Q {
  return query.leftJoin('user_profiles as p', 'p.user_id', 'v.owner_id') as Q;
}
