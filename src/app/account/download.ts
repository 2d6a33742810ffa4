import type { Router } from 'express';
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
import { BadRequestError } from '../../web/errors.ts';

const format = z.enum(['json', 'csv']);

interface DownloadDeps {
  readonly messageStorePool: pg.Pool;
  readonly personalData: PersonalData;
  readonly logger: Logger;
}

/**
 * POST /data: "download my data", the admin portal's export of a user's history (src/exports)
 * for the user themselves: every message by or about them (userCondition), their sealed fields
 * opened with their own key and no one else's, and only secrets (password hashes, tokens) hidden.
 * A POST with the form's token: the export reads the whole store, and no other site may start one.
 */
export function addDownloadRoute(router: Router, { messageStorePool: pool, personalData, logger }: DownloadDeps): void {
  router.post('/data', requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId!;
    const chosen = format.safeParse((req.body as Record<string, unknown> | undefined)?.format);
    if (!chosen.success) throw new BadRequestError('Choose JSON or CSV on your account page, then download again.');
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
      completed: async (messages) => logger.info({ traceId: req.context.traceId, userId, messages, format: chosen.data }, 'own data downloaded'),
    });
  });
}
