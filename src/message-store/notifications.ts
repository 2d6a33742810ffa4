import pg from 'pg';
import type { Logger } from '../logger.ts';
import { WRITE_NOTIFY_CHANNEL } from './write.ts';

export type WriteListener = () => void;

export interface WriteNotifications {
  /** Calls `listener` after each committed write to `category`; returns the unsubscribe. */
  onWrite(category: string, listener: WriteListener): () => void;
  close(): Promise<void>;
}

const RECONNECT_DELAY_MS = 1000;

/**
 * One LISTEN connection shared by every subscriber of a process. It only shortens latency:
 * subscribers still poll, so a dropped connection costs speed until it reconnects, never data.
 */
export function createWriteNotifications(config: pg.ClientConfig, logger: Logger): WriteNotifications {
  const listeners = new Map<string, Set<WriteListener>>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | undefined;

  function dispatch(message: pg.Notification): void {
    if (message.channel !== WRITE_NOTIFY_CHANNEL || message.payload === undefined) return;
    for (const listener of listeners.get(message.payload) ?? []) listener();
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, RECONNECT_DELAY_MS);
    reconnectTimer.unref();
  }

  async function connect(): Promise<void> {
    if (closed || client) return;
    connecting ??= (async () => {
      // A host that vanishes must neither hang close() nor leave a half-open connection unnoticed.
      const candidate = new pg.Client({ connectionTimeoutMillis: 10_000, keepAlive: true, ...config });
      candidate.on('notification', dispatch);
      candidate.on('error', (error) => {
        logger.warn({ err: error }, 'write notifications connection lost; polling continues');
        if (client === candidate) client = undefined;
        candidate.end().catch(() => undefined);
        scheduleReconnect();
      });
      try {
        await candidate.connect();
        await candidate.query(`LISTEN ${WRITE_NOTIFY_CHANNEL}`);
        if (closed) {
          await candidate.end();
          return;
        }
        client = candidate;
        // Writes made while we were disconnected were missed: wake everyone once.
        for (const set of listeners.values()) for (const listener of set) listener();
      } catch (error) {
        logger.warn({ err: error }, 'could not listen for writes; polling continues');
        candidate.end().catch(() => undefined);
        scheduleReconnect();
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  return {
    onWrite(category, listener) {
      let set = listeners.get(category);
      if (!set) listeners.set(category, (set = new Set()));
      set.add(listener);
      void connect();
      return () => {
        set.delete(listener);
      };
    },
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await connecting;
      const current = client;
      client = undefined;
      if (current) await current.end().catch(() => undefined);
    },
  };
}
