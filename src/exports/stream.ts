import type { Request, Response } from 'express';
import type pg from 'pg';
import { exportBatches } from '../message-queries/export-batches.ts';
import type { StoredMessage } from '../message-queries/stored.ts';
import type { Logger } from '../logger.ts';
import { WRITERS, type ExportFormat } from './formats.ts';
import { sendExport } from './send.ts';
import type { ExportSubject } from './subjects.ts';

interface StreamExport {
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly req: Request;
  readonly res: Response;
  readonly subject: ExportSubject;
  readonly format: ExportFormat;
  /**
   * A message as this reader may see it: the admin's with sealed fields opened and then masked as
   * the pages mask them, a user's own with their fields opened and only secrets hidden.
   */
  readonly show: (message: StoredMessage) => Promise<StoredMessage>;
  /** Runs once every message is written, before the response ends (the admin's ExportMade). */
  readonly completed: (count: number) => Promise<void>;
  /** Answers instead when there is nothing to export; unset, an empty export is sent. */
  readonly whenEmpty?: (() => void) | undefined;
}

/**
 * Streams an export as it is read, with the store fixed at the head the subject names: the admin
 * portal's exports and a user's "download my data" are both this one function, differing only in
 * what they are of and how each message is shown.
 */
export async function streamExport({
  pool,
  logger,
  req,
  res,
  subject,
  format,
  show,
  completed,
  whenEmpty,
}: StreamExport): Promise<void> {
  const shown = (batch: readonly StoredMessage[]): Promise<StoredMessage[]> => Promise.all(batch.map(show));
  async function* shownBatches(
    batches: AsyncIterable<readonly StoredMessage[]>,
  ): AsyncGenerator<readonly StoredMessage[]> {
    for await (const batch of batches) yield await shown(batch);
  }
  const batches = exportBatches(pool, subject.scan);
  const first = await batches.next();
  if (first.done && whenEmpty) return whenEmpty();
  const about = {
    kind: subject.kind,
    subject: subject.subject,
    upToGlobalPosition: subject.scan.upTo,
    exportedAt: new Date().toISOString(),
  };
  try {
    await sendExport({
      res,
      writer: WRITERS[format],
      filename: subject.filename,
      about,
      first: first.done ? [] : await shown(first.value),
      rest: shownBatches(batches),
      completed,
    });
  } catch (error) {
    // Part of the file is on its way: the client must see a broken download, not a short file.
    logger.error({ err: error, traceId: req.context.traceId, export: subject.kind }, 'export failed');
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
