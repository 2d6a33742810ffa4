import type { Knex } from 'knex';

// The per-address allowance of viewings (src/web/rate-limits.ts), in rate-limiter-flexible's
// shape like rate_limits, but UNLOGGED: every viewing takes from it, and a logged table made each
// viewing two commits waiting on the disk instead of one, which halved the viewings a process
// could take. An unlogged table is emptied by a crash (and is not on a streaming replica): the
// allowances start afresh, which costs a flood a few minutes at most. Log-in and registration
// limits stay in rate_limits, which a crash must not reset.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE UNLOGGED TABLE viewing_rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('viewing_rate_limits');
}
