import type { Knex } from 'knex';

// Each row remembers the global position of the last message applied to it, one guard per
// writer: `videos` is written by two subscribers (publishing events and viewings), so each keeps
// its own. A video's messages all come from one stream, so that stream's member of a consumer
// group is the only one to touch the guard, and positions only grow along it. With the guards a
// replay over existing rows (an operator moving a position back) applies nothing twice: the
// view count does not double, and a name does not flick back to an older one while it runs.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('videos', (table) => {
    table.bigInteger('publishing_position');
    table.bigInteger('views_position');
  });
  await knex.schema.alterTable('creators_videos', (table) => {
    table.bigInteger('last_position');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('creators_videos', (table) => {
    table.dropColumn('last_position');
  });
  await knex.schema.alterTable('videos', (table) => {
    table.dropColumn('views_position');
    table.dropColumn('publishing_position');
  });
}
