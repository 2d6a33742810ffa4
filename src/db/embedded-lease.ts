import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';

/*
 * Who is using the embedded server. Each process that uses it holds a *shared* advisory lock on
 * a session of its own. A process leaving gives its share up and asks for the *exclusive* lock,
 * which PostgreSQL grants only when no other session holds a share: so the one that gets it is
 * the last user, and it stops the server while still holding it (a newcomer meanwhile is refused
 * a share and waits for the server to go, then starts a new one). A lock lives as long as its
 * session and a session as long as its process: one that dies, even by kill -9, stops counting
 * at once, and there is no file to go stale. The locks live in the `postgres` database, which the
 * app does not otherwise use.
 */

const USERS_LOCK = 7_212_664_020;
const REJOIN_EVERY_MS = 1_000;

export interface Lease {
  /**
   * Gives up this process's share. When no other process holds one, runs `stopServer` first,
   * holding the server exclusively so nobody joins while it stops. True when it stopped it.
   */
  leave(stopServer: () => Promise<void>): Promise<boolean>;
}

function connect(url: string): pg.Client {
  // Named so `SELECT application_name FROM pg_stat_activity` shows who is using the server.
  const client = new pg.Client({
    connectionString: url,
    application_name: `video-tutorials pid ${process.pid}`,
    keepAlive: true,
    connectionTimeoutMillis: 5_000,
  });
  // Every caller says what a lost connection means to it; until then, losing it is not a crash.
  client.on('error', () => undefined);
  return client;
}

/** A session holding a share, or undefined when the share was refused (the last user is stopping the server). Throws when the server does not answer. */
async function connectSharing(url: string): Promise<pg.Client | undefined> {
  const client = connect(url);
  try {
    await client.connect();
    const { rows } = await client.query<{ shared: boolean }>('SELECT pg_try_advisory_lock_shared($1) AS shared', [
      USERS_LOCK,
    ]);
    if (rows[0]?.shared) return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  await client.end().catch(() => undefined);
  return undefined;
}

/** Takes the exclusive lock on the session of `client` when no other session holds a share: true for the last user. */
async function holdAlone(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ alone: boolean }>('SELECT pg_try_advisory_lock($1) AS alone', [USERS_LOCK]);
  return rows[0]?.alone === true;
}

/**
 * For a process that holds no share (one that exited without leaving, seen from the outside):
 * stops the server if nobody holds a share. A share held by a process that has just died is
 * let go when its server session notices, so a refusal is asked again for up to `graceMs`.
 */
export async function stopIfUnused(url: string, stopServer: () => Promise<void>, graceMs = 0): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  const client = connect(url);
  try {
    try {
      await client.connect();
    } catch {
      return false; // no server answers: nothing to stop
    }
    for (;;) {
      if (await holdAlone(client)) {
        await stopServer();
        return true;
      }
      if (Date.now() >= deadline) return false;
      await sleep(100);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Joins the users of the server at `url` (any database on it). Undefined when the server is
 * being stopped by its last user; throws when it does not answer.
 *
 * The share is kept while the process runs: if the session is lost (the server restarted, a
 * network hiccup), it is taken again as soon as the server answers, so an app that outlived an
 * outage counts again and nobody stops the server under it.
 */
export async function takeLease(url: string, logger: Logger): Promise<Lease | undefined> {
  const first = await connectSharing(url);
  if (!first) return undefined;
  let session: pg.Client | undefined = first;
  let leaving = false;
  let rejoining: NodeJS.Timeout | undefined;

  const rejoin = async () => {
    const client = await connectSharing(url).catch(() => undefined);
    if (!client) return;
    if (leaving || session) {
      await client.end().catch(() => undefined);
      return;
    }
    clearInterval(rejoining);
    rejoining = undefined;
    watch(client);
    logger.info('counted again among the users of the embedded PostgreSQL');
  };
  const watch = (client: pg.Client) => {
    session = client;
    const lost = () => {
      if (leaving || session !== client) return;
      session = undefined;
      void client.end().catch(() => undefined);
      logger.warn(
        'lost the session that counts this process among the users of the embedded PostgreSQL; taking it again once the server answers',
      );
      rejoining = setInterval(() => void rejoin(), REJOIN_EVERY_MS);
      rejoining.unref();
    };
    client.on('error', lost);
    client.on('end', lost);
  };
  watch(first);

  return {
    async leave(stopServer) {
      leaving = true;
      clearInterval(rejoining);
      const held = session;
      session = undefined;
      if (held) {
        let last: boolean | undefined;
        try {
          await held.query('SELECT pg_advisory_unlock_shared($1)', [USERS_LOCK]);
          last = await holdAlone(held);
        } catch {
          // The session went just now: ask on a new one below.
        }
        try {
          if (last === true) await stopServer();
          if (last !== undefined) return last;
        } finally {
          await held.end().catch(() => undefined);
        }
      }
      // Lost our share (the server went away, or came back): nothing to give up, only to ask.
      return stopIfUnused(url, stopServer);
    },
  };
}
