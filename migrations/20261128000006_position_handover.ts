import type { Knex } from 'knex';

// When a consumer group changes size, a new member starts from the lowest position the earlier
// members stored and passes over what each stream's earlier owner had applied. Those earlier
// positions are kept on the new member's row until it has gone past all of them, so a restart
// in between still knows what to pass over.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('subscriber_positions', (table) => {
    table.jsonb('handover').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('subscriber_positions', (table) => {
    table.dropColumn('handover');
  });
}
