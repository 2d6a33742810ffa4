/**
 * How a creator is named to viewers: a pseudonym from their user id. Until creators can choose a
 * display name, anything from their email (even the part before the @) would publish personal
 * data that the rest of the system keeps sealed.
 */
export const CREATOR_LABEL_SQL = `'creator-' || left(replace(v.owner_id::text, '-', ''), 6) as creator`;
