import type { Response } from 'express';
import type { StoredMessage } from '../message-queries/stored.ts';
import type { ExportWriter } from './formats.ts';

/** A response that will never take another byte: the client left (or it was ended). */
const gone = (res: Response): boolean => res.destroyed || res.writableEnded;

/**
 * Waits until the response can take more, or is gone. A response gone already resolves at once:
 * its 'close' has fired, and neither it nor 'drain' will come again.
 */
function drained(res: Response): Promise<void> {
  if (gone(res)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

interface SendExport {
  readonly res: Response;
  readonly writer: ExportWriter;
  readonly filename: string;
  readonly about: Readonly<Record<string, unknown>>;
  /** The first batch is read before anything is sent, so "nothing to export" can still be a 404. */
  readonly first: readonly StoredMessage[];
  readonly rest: AsyncIterable<readonly StoredMessage[]>;
  /** Runs once every message is written, before the response ends: the export is on record before it is complete. */
  readonly completed: (count: number) => Promise<void>;
}

/**
 * Streams an export as it is read, one batch at a time, waiting whenever the client is slower
 * than the database. Returns the count, or undefined if the client went away first (then
 * nothing is recorded: no export was made).
 */
export async function sendExport({
  res,
  writer,
  filename,
  about,
  first,
  rest,
  completed,
}: SendExport): Promise<number | undefined> {
  // The first batch took a query: the client may have left meanwhile.
  if (gone(res)) return undefined;
  res.status(200);
  res.set('Content-Type', writer.contentType);
  res.set('Content-Disposition', `attachment; filename="${filename}.${writer.extension}"`);
  res.set('Cache-Control', 'no-store');
  let count = 0;
  const write = async (text: string): Promise<void> => {
    if (text !== '' && !gone(res) && !res.write(text)) await drained(res);
  };
  await write(writer.head(about));
  const send = async (batch: readonly StoredMessage[]): Promise<boolean> => {
    for (const message of batch) {
      if (gone(res)) return false;
      await write(writer.item(message, count));
      count += 1;
    }
    return !gone(res);
  };
  if (!(await send(first))) return undefined;
  // Leaving the loop early closes `rest`: no further batch is read.
  for await (const batch of rest) if (!(await send(batch))) return undefined;
  if (gone(res)) return undefined;
  await completed(count);
  res.end(writer.tail(count));
  return count;
}
