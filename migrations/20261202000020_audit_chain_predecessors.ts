import type { Knex } from 'knex';

// Each audit chain link names the global position of the link before it (0 for the first), so
// verify can tell a message deleted together with its link row (the next link names a
// predecessor that is gone) from an alteration of the message after it. Links written before
// this column existed keep NULL: nothing to compare, and they verify as before.
//
// audit_verifications goes: audit:verify now records each run as an AuditChainVerified admin
// action in the message store (who, when, up to where, the outcome), which the dashboard reads
// and the chain itself covers. The reports it held can be had again by running verify.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_chain_links', (table) => {
    table.bigInteger('previous_global_position').nullable();
  });
  await knex.schema.dropTableIfExists('audit_verifications');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_verifications', (table) => {
    table.bigIncrements('id');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).notNullable();
    table.boolean('ok').notNullable();
    table.bigInteger('verified_up_to');
    table.jsonb('report').notNullable();
  });
  await knex.schema.alterTable('audit_chain_links', (table) => {
    table.dropColumn('previous_global_position');
  });
}
