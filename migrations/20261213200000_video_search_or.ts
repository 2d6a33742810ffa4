import type { Knex } from 'knex';

// Issue 19, a misspelled search: the words like a misspelling were found by a statement of their
// own, and the page's statement then ORed them (`a || b || c`) in its text. Found inside the
// page's statement instead (a round trip fewer), they are ORed by this aggregate: `||`'s own
// function, folded from the left in the order given, so the query is the one the text built.

export async function up(knex: Knex): Promise<void> {
  // Parallel safe, as the search's other functions are: it reads nothing but its arguments.
  await knex.raw('CREATE AGGREGATE video_search_or(tsquery) (SFUNC = tsquery_or, STYPE = tsquery, PARALLEL = SAFE)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP AGGREGATE IF EXISTS video_search_or(tsquery)');
}
