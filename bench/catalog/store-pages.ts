import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { traceHref } from '../../src/app/admin/shared/message-views.ts';
import { BROWSE_PAGE_SIZE } from '../../src/message-queries/browse.ts';
import { storeHead } from '../../src/message-queries/counts.ts';
import { TRACE_INDEX } from '../../src/message-store/index.ts';
import { POSITION_CATEGORY } from '../../src/subscription/component-processor.ts';
import { PAGE_GOAL, type Page } from './page.ts';

/** Issue 20 §3 asks for the browser's page 10,000 by keyset. */
const DEEP_PAGE = 10_000;

/**
 * Waits (10 minutes at most) for the trace-id index the app builds beside its work, and its
 * statistics: the trace and message pages are measured as a store that has it serves them.
 * Asked as the URL's own role: the store's role may not read an index's statistics.
 * Returns the seconds waited.
 */
export async function traceIndexReady(messageStoreUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: messageStoreUrl });
  await client.connect();
  try {
    const began = Date.now();
    for (;;) {
      const ready = await client.query<{ ready: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND indisvalid)
            AND EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'message_store' AND tablename = $2) AS ready`,
        [`message_store.${TRACE_INDEX}`, TRACE_INDEX],
      );
      if (ready.rows[0]?.ready) return (Date.now() - began) / 1000;
      if (Date.now() - began > 600_000) throw new Error('the app has not built the trace-id index in 10 minutes');
      await sleep(500);
    }
  } finally {
    await client.end();
  }
}

/**
 * The pages of issue 20 §3 beyond the viewers' ones: the busiest channel, and the admin's
 * dashboard, message browser (the newest page and page 10,000 by its keyset link), a trace and
 * a user page, all from what the store holds. Read by an admin (the logged-in session).
 */
export async function storePages(db: Knex, store: pg.Pool): Promise<Page[]> {
  const channel = (
    await db.raw<{ rows: Array<{ handle: string; videos: string }> }>(
      `SELECT profile.handle, count(*) AS videos
         FROM videos JOIN user_profiles AS profile ON profile.user_id = videos.owner_id
        WHERE status = 'published' AND visibility = 'public' AND published_at IS NOT NULL
        GROUP BY profile.handle ORDER BY count(*) DESC, profile.handle LIMIT 1`,
    )
  ).rows[0];
  const busiest = (
    await db.raw<{ rows: Array<{ user_id: string; log_ins: string }> }>(
      'SELECT user_id, log_ins FROM admin_users ORDER BY log_ins DESC, user_id LIMIT 1',
    )
  ).rows[0];
  // The last message of the page before page 10,000 (or the deepest a small store has), counted
  // from the newest as the browser counts them, without the subscribers' bookkeeping: the
  // "Older" link from that page shows the messages before it.
  const bookkeeping = Number(
    (
      await store.query<{ count: string }>('SELECT count(*) AS count FROM messages WHERE category(stream_name) = $1', [
        POSITION_CATEGORY,
      ])
    ).rows[0]?.count,
  );
  const shown = (await storeHead(store)) - bookkeeping;
  const deepPage = Math.max(2, Math.min(DEEP_PAGE, Math.floor(shown / BROWSE_PAGE_SIZE)));
  const deep = (
    await store.query<{ global_position: string }>(
      `SELECT global_position FROM messages WHERE category(stream_name) <> $1
        ORDER BY global_position DESC OFFSET $2 LIMIT 1`,
      [POSITION_CATEGORY, (deepPage - 1) * BROWSE_PAGE_SIZE - 1],
    )
  ).rows[0];
  // A registration's trace: the registration, its welcome email's command and what followed.
  const trace = (
    await store.query<{ trace_id: string }>(
      `SELECT metadata->>'traceId' AS trace_id FROM messages
        WHERE stream_name = $1 AND type = 'Registered' LIMIT 1`,
      [`identity-${busiest?.user_id ?? ''}`],
    )
  ).rows[0];
  if (!channel || !busiest || !deep || !trace) throw new Error('the store has no channel, user, trace or page 10,000');
  return [
    {
      label: `channel with the most videos (${channel.videos})`,
      path: `/@${encodeURIComponent(channel.handle)}`,
      loggedIn: false,
      shows: /video-card/,
      goal: PAGE_GOAL,
    },
    { label: 'admin dashboard', path: '/admin', loggedIn: true, shows: /Dashboard/i, goal: PAGE_GOAL },
    { label: 'admin messages, newest page', path: '/admin/messages', loggedIn: true, shows: /<table/, goal: PAGE_GOAL },
    {
      label: `admin messages, page ${deepPage.toLocaleString('en')} (its keyset link)`,
      path: `/admin/messages?before=${deep.global_position}`,
      loggedIn: true,
      shows: /<table/,
      goal: PAGE_GOAL,
    },
    {
      label: "admin trace of a creator's registration",
      path: traceHref(trace.trace_id),
      loggedIn: true,
      shows: /Registered/,
      goal: PAGE_GOAL,
    },
    {
      label: `admin user page, the busiest creator (${busiest.log_ins} log-ins)`,
      path: `/admin/users/${busiest.user_id}`,
      loggedIn: true,
      shows: /Log-ins/,
      goal: PAGE_GOAL,
    },
  ];
}
