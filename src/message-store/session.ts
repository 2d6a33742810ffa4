import pg from 'pg';
import type { Logger } from '../logger.ts';

const RECONNECT_DELAY_MS = 1000;
// A connection that dies without a word (a partition, a failover) is noticed by a query that
// gets no answer: the advisory locks it held are gone, and its claims must be given up.
const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;

export interface Session {
  /** The connected client, connecting first if need be; undefined while the server is unreachable. */
  client(): Promise<pg.Client | undefined>;
  /**
   * Runs a query on the session connection, after any query already on it (pg will not run two
   * at once on one client). Undefined while the server is unreachable.
   */
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row> | undefined>;
  /** Runs after every (re)connection, e.g. to LISTEN again. */
  onConnect(hook: (client: pg.Client) => Promise<void>): void;
  /** Runs when the connection is lost: session state (LISTEN, advisory locks) is gone with it. */
  onLost(hook: () => void): void;
  close(): Promise<void>;
}

/**
 * One dedicated connection per process for what a pooled connection cannot hold: LISTEN and
 * session advisory locks. It reconnects by itself; while it is down, polling carries on.
 */
export function createSession(config: pg.ClientConfig, logger: Logger): Session {
  const connectHooks: Array<(client: pg.Client) => Promise<void>> = [];
  const lostHooks: Array<() => void> = [];
  let current: pg.Client | undefined;
  let connecting: Promise<pg.Client | undefined> | undefined;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | undefined;

  function lose(candidate: pg.Client, error: unknown): void {
    if (current !== candidate) return;
    current = undefined;
    logger.warn({ err: error }, 'message store session connection lost; polling carries on');
    candidate.end().catch(() => undefined);
    for (const hook of lostHooks) hook();
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, RECONNECT_DELAY_MS);
    reconnectTimer.unref();
  }

  let queue: Promise<unknown> = Promise.resolve();
  async function query<Row extends pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row> | undefined> {
    const client = current ?? (await connect());
    if (!client) return undefined;
    const run = queue.then(() => client.query<Row>(text, values));
    queue = run.catch(() => undefined);
    return run;
  }

  const heartbeat = setInterval(() => {
    const client = current;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${HEARTBEAT_TIMEOUT_MS} ms`)), HEARTBEAT_TIMEOUT_MS);
    });
    Promise.race([query('SELECT 1'), silence])
      .catch((error: unknown) => lose(client, error))
      .finally(() => clearTimeout(timer));
  }, HEARTBEAT_MS);
  heartbeat.unref();

  function connect(): Promise<pg.Client | undefined> {
    if (closed) return Promise.resolve(undefined);
    if (current) return Promise.resolve(current);
    connecting ??= (async () => {
      const candidate = new pg.Client(config);
      candidate.on('error', (error) => lose(candidate, error));
      try {
        await candidate.connect();
        if (closed) {
          await candidate.end();
          return undefined;
        }
        current = candidate;
        for (const hook of connectHooks) await hook(candidate);
        return candidate;
      } catch (error) {
        if (current === candidate) lose(candidate, error);
        else {
          logger.warn({ err: error }, 'could not open the message store session connection; will retry');
          candidate.end().catch(() => undefined);
          scheduleReconnect();
        }
        return undefined;
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  return {
    client: connect,
    query,
    onConnect(hook) {
      connectHooks.push(hook);
    },
    onLost(hook) {
      lostHooks.push(hook);
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await connecting;
      const client = current;
      current = undefined;
      if (client) await client.end().catch(() => undefined);
    },
  };
}
