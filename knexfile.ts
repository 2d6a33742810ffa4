import 'dotenv/config';
import type { Knex } from 'knex';
import { migrationSource } from './migrations/index.ts';

// For knex's own CLI (e.g. migrate:status). `npm run migrate` does more: it also creates the
// databases and installs Message DB, and it knows about the embedded PostgreSQL.
const config: Knex.Config = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { migrationSource },
};

export default config;
