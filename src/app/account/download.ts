import type { RequestHandler, Router } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { streamExport } from '../../exports/stream.ts';
import { userExport } from '../../exports/subjects.ts';
import type { Logger } from '../../logger.ts';
import { storeHead } from '../../message-queries/counts.ts';
import type { StoredMessage } from '../../message-queries/stored.ts';
import { withoutSecrets } from '../../personal-data/redact.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { openSealedFields } from '../../personal-data/unseal.ts';
import { requireCsrfToken } from '../../web/csrf.ts';
import { durationInWords } from '../../web/duration-words.ts';
import { BadRequestError, HttpError } from '../../web/errors.ts';

const format = z.enum(['json', 'csv']);

interface DownloadDeps {
  readonly messageStorePool: pg.Pool;
  /** Takes one download from the user's allowance: 0, or the seconds to wait. */
  readonly downloadWait: (userId: string) => Promise<number>;
  readonly personalData: PersonalData;
  readonly logger: Logger;
}

/**
 * POST /data: "download my data", the admin portal's export of a user's history (src/exports)
 * for the user themselves: every message by or about them (userCondition), their sealed fields
 * opened with their own key and no one else's, and only secrets (password hashes, tokens) hidden.
 * A POST with the form's token, a few an hour (OWN_DATA_DOWNLOADS_PER_USER): each reads the whole store.
 */
export function addDownloadRoute(
  router: Router,
  { messageStorePool: pool, downloadWait, personalData, logger }: DownloadDeps,
  loggedIn: RequestHandler,
): void {
  router.post('/data', loggedIn, requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId!;
    const chosen = format.safeParse((req.body as Record<string, unknown> | undefined)?.format);
    if (!chosen.success) throw new BadRequestError('Choose JSON or CSV on your account page, then download again.');
    const wait = await downloadWait(userId);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      throw new HttpError(
        429,
        `You have downloaded your data several times in a short while. Try again in ${durationInWords(wait)}.`,
        {
          title: 'Download again later',
          next: { href: '/account', label: 'Back to your account' },
        },
      );
    }
    const show = async (message: StoredMessage): Promise<StoredMessage> => ({
      ...message,
      data: withoutSecrets(await openSealedFields(personalData, message.data, { onlyFor: userId })),
      metadata: withoutSecrets(message.metadata) as StoredMessage['metadata'],
    });
    await streamExport({
      pool,
      logger,
      req,
      res,
      subject: userExport(userId, await storeHead(pool)),
      format: chosen.data,
      show,
      completed: async (messages) =>
        logger.info({ traceId: req.context.traceId, userId, messages, format: chosen.data }, 'own data downloaded'),
    });
  });
}
