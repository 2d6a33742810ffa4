import type pg from 'pg';
import { ANNOUNCES_WRITES_SETTING } from '../message-store/index.ts';
const FUNCTION = 'message_store.video_tutorials_announce_write';
const TRIGGER = 'video_tutorials_announce_write';

/**
 * A write by another program (SQL by hand, another service) says nothing to our subscribers, so
 * it would wait for their next poll. This trigger NOTIFYs on its behalf, naming the category.
 * The app's own connections set ANNOUNCES_WRITES_SETTING and are skipped: a NOTIFY inside a
 * writer's transaction takes PostgreSQL's cluster-wide notify lock at commit, which only those
 * other writers pay. Message DB's own schema is untouched; this adds to it.
 */
export async function installWriteAnnouncer(client: pg.ClientBase): Promise<boolean> {
  const present = await client.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $1 AND tgrelid = 'message_store.messages'::regclass) AS present`,
    [TRIGGER],
  );
  if (present.rows[0]?.present) return false;
  await client.query(`
    CREATE OR REPLACE FUNCTION ${FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF coalesce(current_setting('${ANNOUNCES_WRITES_SETTING}', true), '') <> 'on' THEN
        PERFORM pg_notify('message_store_write', 'sql ' || message_store.category(NEW.stream_name));
      END IF;
      RETURN NULL;
    END $$`);
  await client.query(
    `CREATE TRIGGER ${TRIGGER} AFTER INSERT ON message_store.messages FOR EACH ROW EXECUTE FUNCTION ${FUNCTION}()`,
  );
  return true;
}
