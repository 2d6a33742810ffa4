import type { Knex } from 'knex';

// The audit chain (docs/audit.md). One link per message in global order: 32 bytes of SHA-256
// plus the message's id, stream and position, so verify can name a message that has since been
// deleted from the store. Heads are the links signed (HMAC) now and then; they live apart from
// the links so that rebuilding the chain leaves the old signatures to contradict it. Each run of
// audit:verify leaves its report, for the dashboard.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_chain_links', (table) => {
    table.bigInteger('global_position').primary();
    table.uuid('message_id').notNullable();
    table.text('stream_name').notNullable();
    table.bigInteger('position').notNullable();
    table.binary('link').notNullable();
  });
  await knex.schema.createTable('audit_chain_heads', (table) => {
    table.bigInteger('global_position').primary();
    table.binary('link').notNullable();
    table.binary('hmac').notNullable();
    table.text('key_id').notNullable();
    table.timestamp('signed_at', { useTz: true }).notNullable();
  });
  await knex.raw(
    'ALTER TABLE audit_chain_links ADD CONSTRAINT audit_chain_links_link_size CHECK (octet_length(link) = 32)',
  );
  await knex.raw(
    'ALTER TABLE audit_chain_heads ADD CONSTRAINT audit_chain_heads_link_size CHECK (octet_length(link) = 32)',
  );
  await knex.schema.createTable('audit_verifications', (table) => {
    table.bigIncrements('id');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).notNullable();
    table.boolean('ok').notNullable();
    table.bigInteger('verified_up_to');
    table.jsonb('report').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_verifications');
  await knex.schema.dropTable('audit_chain_heads');
  await knex.schema.dropTable('audit_chain_links');
}
