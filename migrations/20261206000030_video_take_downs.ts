import type { Knex } from 'knex';

// An admin's take-down (VideoTakenDown) puts a video in the status 'takenDown' in videos,
// creators_videos and admin_user_videos (text columns: no change needed there), and its creator
// reads the admin's reason in their own list: creators_videos keeps it. Existing rows have had
// no take-down, so no rebuild is needed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('creators_videos', (table) => {
    table.text('take_down_reason');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('creators_videos', (table) => {
    table.dropColumn('take_down_reason');
  });
}
