import type { Knex } from 'knex';

// Where a projection rebuild reports its progress (src/rebuild/progress.ts reads and writes it).
// IF NOT EXISTS: a rebuild run before this migration made the table already.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE IF NOT EXISTS projection_rebuilds (
      projection text PRIMARY KEY,
      run_id uuid NOT NULL,
      state text NOT NULL,
      phase text NOT NULL,
      done bigint NOT NULL DEFAULT 0,
      total bigint NOT NULL DEFAULT 0,
      skipped bigint NOT NULL DEFAULT 0,
      requested_by text NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      error text
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('projection_rebuilds');
}
