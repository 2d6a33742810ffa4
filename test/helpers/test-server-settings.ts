/**
 * How an embedded PostgreSQL started for tests runs (by `npm test`'s runner, or by a test file run
 * alone). Three shards need up to 240 connections (test/run-shards.ts caps each at 80), past
 * PostgreSQL's default of 100. Its databases live for one test each and the whole server is thrown
 * away after the run: nothing needs vacuuming (autovacuum's workers visiting ~800 short-lived
 * databases cost a full run 30 s here) or surviving a crash of the machine.
 */
export const TEST_SERVER_SETTINGS: Readonly<Record<string, string>> = {
  max_connections: '300',
  autovacuum: 'off',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};
