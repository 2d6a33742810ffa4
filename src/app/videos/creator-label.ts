import type { Knex } from 'knex';

/**
 * How a creator is named to viewers: their display name and handle from user_profiles (the page
 * links the name to /@<handle>). Without a row (the projection not there yet, or the user
 * erased) the pseudonym from their user id that every video showed before names existed, and
 * no link: nothing from their email or sealed fields is ever shown in its place.
 */
export const CREATOR_LABEL_SQL = `coalesce(p.display_name, 'creator-' || left(replace(v.owner_id::text, '-', ''), 6)) as creator, p.handle as creator_handle`;

/** Joins the creator's profile to a query over `videos as v`. */
export function withCreatorProfile<Q extends Knex.QueryBuilder>(query: Q): Q {
  return query.leftJoin('user_profiles as p', 'p.user_id', 'v.owner_id') as Q;
}
