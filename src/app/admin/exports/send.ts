import type { Response } from 'express';
import type { StoredMessage } from '../messages/stored.ts';
import type { ExportWriter } from './formats.ts';

/** Waits until the response can take more, or is gone (a closed client never drains). */
function drained(res: Response): Promise<void> {
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
export async function sendExport({ res, writer, filename, about, first, rest, completed }: SendExport): Promise<number | undefined> {
  res.status(200);
  res.set('Content-Type', writer.contentType);
  res.set('Content-Disposition', `attachment; filename="${filename}.${writer.extension}"`);
  res.set('Cache-Control', 'no-store');
  let count = 0;
  const write = async (text: string): Promise<void> => {
    if (text !== '' && !res.write(text)) await drained(res);
  };
  await write(writer.head(about));
  const send = async (batch: readonly StoredMessage[]): Promise<boolean> => {
    for (const message of batch) {
      if (res.destroyed) return false;
      await write(writer.item(message, count));
      count += 1;
    }
    return !res.destroyed;
  };
  if (!(await send(first))) return undefined;
  for await (const batch of rest) if (!(await send(batch))) return undefined;
  await completed(count);
  res.end(writer.tail(count));
  return count;
}
