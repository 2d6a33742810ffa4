import type { Knex } from 'knex';

// Issue 18: one creator action may send several commands under one trace (an upload with a title
// and a description: PublishVideo, NameVideo, DescribeVideo). Keyed by trace alone, the first
// answer to any of them (VideoNamed, in milliseconds) settled the whole upload as done while its
// conversion had not begun. Each command kind of a trace is now its own operation.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('video_operations', (table) => {
    table.dropPrimary();
    table.primary(['trace_id', 'kind']);
  });
}

export async function down(knex: Knex): Promise<void> {
  // Back to one row per trace: the first kind of each (in the order the portal sends them) stays.
  await knex.raw(`
    DELETE FROM video_operations o USING video_operations p
    WHERE o.trace_id = p.trace_id AND o.kind <> p.kind
      AND array_position(ARRAY['publish','delete','visibility','poster','unpublish','name','describe'], p.kind)
        < array_position(ARRAY['publish','delete','visibility','poster','unpublish','name','describe'], o.kind)`);
  await knex.schema.alterTable('video_operations', (table) => {
    table.dropPrimary();
    table.primary(['trace_id']);
  });
}
