import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import pg from 'pg';
import type { DatabaseUrls } from '../src/config/env.ts';
import { startApp } from './app-process.ts';
import { CookieJar } from './site/cookie-jar.ts';
import { VIA_PROXY } from './site/visitor.ts';

const USERS = 1_000;
const VIDEOS = 10_000;
const BATCH = 100_000;
const SAMPLES = 5;
// A hash in bcrypt's shape: the contract checks the shape, nothing here logs in as these users.
const SOME_HASH = `$2b$04$${'a'.repeat(53)}`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * A deterministic id in UUID version 4's shape from a text: md5 alone has any version and variant
 * digits, which the contracts' UUID check refuses, so every viewing would be skipped as bad data
 * and the figures would time skip-recording, not projections.
 */
const VALID_UUID_FROM_MD5 = (text: string) =>
  `(SELECT (substr(h, 1, 12) || '4' || substr(h, 14, 3) || '8' || substr(h, 18, 15))::uuid::text FROM (SELECT md5(${text}) AS h) m)`;

/** A store of `messages` messages: registrations of USERS users and viewings of VIDEOS videos. */
async function fillStore(pool: pg.Pool, messages: number): Promise<void> {
  await pool.query(
    `SELECT write_message(gen_random_uuid()::text, 'identity-' || u, 'Registered',
              jsonb_build_object('userId', u, 'email', 'user' || n || '@bench.test', 'passwordHash', $2::text),
              jsonb_build_object('traceId', gen_random_uuid(), 'userId', u))
       FROM (SELECT n, gen_random_uuid()::text AS u FROM generate_series(1, $1) n) s`,
    [USERS, SOME_HASH],
  );
  for (let written = USERS; written < messages; written += BATCH) {
    await pool.query(
      `SELECT write_message(gen_random_uuid()::text, 'viewing-' || v, 'VideoViewed',
                jsonb_build_object('videoId', v, 'userId', NULL, 'source', 'api'),
                jsonb_build_object('traceId', gen_random_uuid()))
         FROM (SELECT ${VALID_UUID_FROM_MD5('(n % $2)::text')} AS v FROM generate_series(1, $1) n) s`,
      [Math.min(BATCH, messages - written), VIDEOS],
    );
  }
}

/** Has the subscriber applied the newest message of its category (or of all, for undefined)? */
async function caughtUp(db: pg.Pool, store: pg.Pool, subscriberId: string, category?: string): Promise<boolean> {
  const head = Number(
    (
      await store.query<{ head: string }>(
        category
          ? 'SELECT max(global_position) AS head FROM messages WHERE category(stream_name) = $1'
          : 'SELECT max(global_position) AS head FROM messages',
        category ? [category] : [],
      )
    ).rows[0]?.head ?? 0,
  );
  const row = await db.query<{ position: string }>(
    'SELECT max(position) AS position FROM subscriber_positions WHERE subscriber_id = $1',
    [subscriberId],
  );
  return Number(row.rows[0]?.position ?? 0) >= head;
}

/**
 * The admin pages on a store of `messages` messages (BENCH_ADMIN_MESSAGES): the time the
 * admin projections take to catch up from zero, then each page's median time over a few loads.
 */
export async function adminPageFigures(
  urls: DatabaseUrls,
  messages: number,
  results: Record<string, string>,
  log: (line: string) => void,
): Promise<void> {
  const store = new pg.Pool({
    connectionString: urls.messageStoreUrl,
    options: '-c search_path=message_store,public',
    max: 2,
  });
  const db = new pg.Pool({ connectionString: urls.databaseUrl, max: 2 });
  try {
    log(`admin pages: writing ${messages.toLocaleString('en')} messages`);
    const writeStart = performance.now();
    await fillStore(store, messages);
    results['admin: store filled'] =
      `${messages.toLocaleString('en')} messages in ${Math.round((performance.now() - writeStart) / 1000)} s`;

    // The registrations' welcome emails go to a throwaway folder, not the checkout's .data/mail.
    const mailDir = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-mail-'));
    const app = await startApp(urls, { env: { MAIL_DIR: mailDir } });
    try {
      const start = performance.now();
      for (const [subscriber, category] of [
        ['aggregators:admin-streams', undefined],
        ['aggregators:admin-users:viewings', 'viewing'],
      ] as const) {
        while (!(await caughtUp(db, store, subscriber, category)))
          await new Promise((resolve) => setTimeout(resolve, 500));
      }
      results['admin: projections caught up from zero'] =
        `${Math.round((performance.now() - start) / 1000)} s (admin-streams, admin-users)`;
      // The store is valid data: a figure made of skips would time the wrong thing.
      const skipped = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM skipped_messages')).rows[0]?.n);
      if (skipped > 0)
        throw new Error(
          `${skipped} bench messages were skipped as bad data: the bench writes what the contracts refuse`,
        );

      const password = 'bench admin password';
      const email = `admin-${randomUUID().slice(0, 8)}@bench.test`;
      await db.query(
        `INSERT INTO user_credentials (user_id, email, password_hash, registered_at, roles) VALUES ($1, $2, $3, now(), '{admin}')`,
        [randomUUID(), email, await bcrypt.hash(password, 4)],
      );
      const jar = new CookieJar();
      const get = async (path: string) => {
        const cookie = jar.header();
        const answer = await fetch(`${app.url}${path}`, {
          headers: { ...VIA_PROXY, ...(cookie ? { cookie } : {}) },
          redirect: 'manual',
        });
        jar.take(answer.headers.getSetCookie());
        return { status: answer.status, text: await answer.text() };
      };
      const form = await get('/auth/log-in');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
      const cookie = jar.header();
      const loggedIn = await fetch(`${app.url}/auth/log-in`, {
        method: 'POST',
        headers: {
          ...VIA_PROXY,
          origin: app.url,
          'content-type': 'application/x-www-form-urlencoded',
          ...(cookie ? { cookie } : {}),
        },
        body: new URLSearchParams({ _csrf: csrf, email, password }),
        redirect: 'manual',
      });
      jar.take(loggedIn.headers.getSetCookie());
      if (loggedIn.status !== 303) throw new Error(`admin log-in answered ${loggedIn.status}`);

      const newest = Number(
        (await store.query<{ head: string }>('SELECT max(global_position) AS head FROM messages')).rows[0]?.head,
      );
      const aTrace = (
        await store.query<{ trace: string }>(
          `SELECT metadata->>'traceId' AS trace FROM messages WHERE global_position = $1`,
          [newest],
        )
      ).rows[0]?.trace;
      const pages: Array<[string, string]> = [
        ['dashboard', '/admin'],
        ['users', '/admin/users'],
        ['messages, newest', '/admin/messages'],
        ['messages, category filter', '/admin/messages?category=identity'],
        ['messages, type filter (bounded scan)', '/admin/messages?type=Registered'],
        ['message detail', `/admin/messages/${newest}`],
        ['trace', `/admin/traces/${aTrace}`],
        ['streams', '/admin/streams'],
        ['subscribers', '/admin/subscribers'],
      ];
      for (const [name, path] of pages) {
        const times: number[] = [];
        let status = 0;
        for (let n = 0; n < SAMPLES; n += 1) {
          const began = performance.now();
          status = (await get(path)).status;
          times.push(performance.now() - began);
        }
        results[`admin page: ${name}`] =
          `${median(times).toFixed(1)} ms median of ${SAMPLES}${status === 200 ? '' : ` (HTTP ${status})`}`;
      }
    } finally {
      await app.stop();
      await rm(mailDir, { recursive: true, force: true });
    }
  } finally {
    await Promise.all([store.end(), db.end()]);
  }
}
