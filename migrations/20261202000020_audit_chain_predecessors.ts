import type { Knex } from 'knex';

// Each audit chain link names the global position of the link before it (0 for the first), so
// verify can tell a message deleted together with its link row (the next link names a
// predecessor that is gone) from an alteration of the message after it. Links written before
// this column existed keep NULL: nothing to compare, and they verify as before.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_chain_links', (table) => {
    table.bigInteger('previous_global_position').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_chain_links', (table) => {
    table.dropColumn('previous_global_position');
  });
}
