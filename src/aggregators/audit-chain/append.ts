import type { Knex } from 'knex';
import type pg from 'pg';
import { nextLink, GENESIS_LINK } from '../../audit/canonical.ts';
import { insertLinks, lastLink, linkedPositions, type NewLink } from '../../audit/chain-tables.ts';
import { readRecordsAt } from '../../message-queries/audit-records.ts';
import type { Logger } from '../../logger.ts';
import type { RawMessage } from '../../message-store/index.ts';
import type { Tip, TipGuard } from './tip.ts';

/**
 * Extends the chain by a batch the subscription delivered (in global order, up to the safe
 * horizon). The subscription's messages are parsed (metadata filtered, numbers as doubles), so
 * each is read again as the exact text the chain hashes. Returns the chain's tip after it (in
 * this transaction), so the signer need not read it again.
 */
export async function appendToChain(
  trx: Knex.Transaction,
  pool: pg.Pool,
  messages: readonly RawMessage[],
  logger: Logger,
  tip: TipGuard,
): Promise<Tip | undefined> {
  const records = await readRecordsAt(
    pool,
    messages.map((message) => message.globalPosition),
  );
  const byPosition = new Map(records.map((record) => [Number(record.globalPosition), record]));
  for (const message of messages) {
    const record = byPosition.get(message.globalPosition);
    // Gone or replaced between two reads a moment apart: someone is changing the store now.
    // Throwing stalls the chain here, in plain view, rather than chain around it.
    if (!record || record.id !== message.id) {
      throw new Error(
        `message ${message.id} at global position ${message.globalPosition} ${record ? 'was replaced' : 'vanished'} while the audit chain read it`,
      );
    }
  }

  const last = await lastLink(trx);
  // Never go on from a chain rewritten under us: throwing stalls the chain in plain view.
  tip.check(last);
  const head = last?.globalPosition ?? 0;
  const below = messages.filter((message) => message.globalPosition <= head);
  if (below.length > 0) {
    // An operator moved the position back (a replay): those are chained already, and the chain
    // is append-only, so a replay can never re-chain a store that was altered meanwhile. One
    // the chain passed without seeing was put there afterwards: verify reports it as inserted.
    const linked = await linkedPositions(
      trx,
      below.map((message) => message.globalPosition),
    );
    for (const message of below) {
      if (!linked.has(message.globalPosition)) {
        logger.error(
          { globalPosition: message.globalPosition, messageId: message.id, streamName: message.streamName },
          "a message below the audit chain's head that the chain never saw: inserted after the fact?",
        );
      }
    }
  }

  let previous = last?.link ?? GENESIS_LINK;
  // Each link names the one before it, so verify sees a link row deleted with its message.
  let previousPosition = head;
  const appended: NewLink[] = [];
  for (const message of messages) {
    if (message.globalPosition <= head) continue;
    const record = byPosition.get(message.globalPosition)!;
    previous = nextLink(previous, record);
    appended.push({
      globalPosition: message.globalPosition,
      messageId: record.id,
      streamName: record.streamName,
      position: Number(record.position),
      link: previous,
      previousGlobalPosition: previousPosition,
    });
    previousPosition = message.globalPosition;
  }
  await insertLinks(trx, appended);
  const newest = appended.at(-1);
  if (!newest) return last;
  tip.appended(last, newest);
  return newest;
}
