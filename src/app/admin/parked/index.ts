import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { MessageStore } from '../../../message-store/index.ts';
import { issueCsrfToken } from '../../../web/csrf.ts';
import { BadRequestError, HttpError, NotFoundError } from '../../../web/errors.ts';
import type { AdminDeps, AdminSection } from '../section.ts';
import {
  ActionAlreadyRecordedError,
  actorOf,
  adminActionId,
  recordAdminAction,
} from '../shared/record-admin-action.ts';
import { formBody } from '../shared/form-body.ts';
import { parkedMessageExists, recentParkedActions, replaysRecorded } from '../../../message-queries/parked.ts';
import { parseGlobalPosition } from '../../../message-queries/stored.ts';
import { PARKED_LISTED, pendingEntry, pendingParked, type ParkedEntry } from '../shared/parked-pending.ts';
import type { ParkedDeps, ReplayParked } from './replay.ts';
import { ConflictError, parkedClaims } from './claim.ts';
import { adminEmails } from './admins.ts';
import { actingAdminIds, parkedActionView, parkedView } from './views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const reasonSchema = z.string().trim().min(1, 'Say why it is discarded.').max(500, 'Up to 500 characters.');
/** Typed to confirm a discard, which cannot be undone. */
const CONFIRM_WORD = 'DISCARD';
const NOT_CONFIRMED = `Type the word ${CONFIRM_WORD} to confirm. Nothing was discarded.`;

interface DiscardProblems {
  readonly reason: string | undefined;
  readonly confirm: string | undefined;
}

/** What a discard form holds; the problems with it, for the page that asks again. */
function discardForm(req: Request): { reason: string; problems: DiscardProblems; valid: string | undefined } {
  const form = formBody(req);
  const typed = typeof form.reason === 'string' ? form.reason : '';
  const reason = reasonSchema.safeParse(form.reason);
  const confirmed = typeof form.confirm === 'string' && form.confirm.trim().toUpperCase() === CONFIRM_WORD;
  const problems = {
    reason: reason.success ? undefined : (reason.error.issues[0]?.message ?? 'Say why it is discarded.'),
    confirm: confirmed ? undefined : NOT_CONFIRMED,
  };
  return { reason: typed, problems, valid: reason.success && confirmed ? reason.data : undefined };
}

/** The position a form acts on: a 404 unless it is one. */
function positionOf(req: Request): number {
  const globalPosition = parseGlobalPosition(req.params.globalPosition);
  if (globalPosition === undefined) throw new NotFoundError('No parked message at that position.');
  return globalPosition;
}

/** The waiting Parked message a form acts on: 404 if there is none at that position, 409 if it is settled already. */
async function actedOn(pool: AdminDeps['messageStorePool'], globalPosition: number): Promise<ParkedEntry> {
  const entry = await pendingEntry(pool, globalPosition);
  if (entry) return entry;
  if (!(await parkedMessageExists(pool, globalPosition)))
    throw new NotFoundError('No parked message at that position.');
  throw new ConflictError('That message has already been replayed or discarded.');
}

async function replay(messageStore: MessageStore, replayParked: ReplayParked, entry: ParkedEntry): Promise<string> {
  const { parked } = entry;
  // The engine takes the Parked message as it reads it from the store.
  const [raw] = await messageStore.readStream(parked.streamName, { fromPosition: parked.position, batchSize: 1 });
  if (!raw || raw.globalPosition !== parked.globalPosition)
    throw new NotFoundError('No parked message at that position.');
  const outcome = await replayParked(entry.subscriberId, raw);
  if (outcome === undefined)
    throw new ConflictError(`No subscriber ${entry.subscriberId} in this process to replay it through.`);
  return outcome;
}

/**
 * Parked messages: every dead-letter stream's messages that are not yet replayed or discarded,
 * with the error and the attempts. Replay hands one to its subscriber's processor; discard
 * settles it with a reason, for good, so it asks first on a page of its own (the admin types
 * DISCARD). Both are written as admin actions about the Parked message.
 */
export const parkedSection = ({
  db,
  messageStorePool: pool,
  messageStore,
  replayParked,
}: AdminDeps & ParkedDeps): AdminSection => {
  const router = Router();
  const claims = parkedClaims(pool);

  router.get('/', async (req, res) => {
    issueCsrfToken(req, res);
    const [entries, actions] = await Promise.all([pendingParked(pool), recentParkedActions(pool)]);
    const emails = await adminEmails(db, actingAdminIds(actions));
    res.render('admin-parked', {
      title: 'Parked',
      entries: entries.map(parkedView),
      more: entries.length >= PARKED_LISTED,
      actions: actions.map((action) => parkedActionView(action, emails)),
      canReplay: replayParked !== undefined,
    });
  });

  // Each attempt at replaying a Parked message is recorded once: the id names the message and
  // how many attempts are on record before it (an attempt that failed before the engine wrote
  // Replayed leaves the message waiting, and the next one is a new action).
  async function replayAttempt(entry: ParkedEntry): Promise<string> {
    return adminActionId(`replay/${entry.parked.id}/${await replaysRecorded(pool, entry.parked.globalPosition)}`);
  }

  router.post('/:globalPosition/replay', async (req, res) => {
    const globalPosition = positionOf(req);
    // Checked, replayed and recorded under the claim: a second replay of it waits or is a 409, never a second run.
    const flash = await claims.claim(globalPosition, 'replay', async () => {
      const entry = await actedOn(pool, globalPosition);
      if (!replayParked)
        throw new HttpError(503, 'Replay is not wired into this process: it needs the subscribers’ processors.');
      if (!entry.details)
        throw new BadRequestError(
          'This Parked message does not say what it parked, so it cannot be replayed; discard it.',
        );
      const id = await replayAttempt(entry);
      let outcome: string;
      try {
        outcome = await replay(messageStore, replayParked, entry);
      } catch (error) {
        if (error instanceof HttpError) throw error;
        // The engine may have marked it replayed before the failure: on record either way.
        outcome = `failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
      }
      await recordAdminAction(
        messageStore,
        actorOf(req),
        'ParkedMessageReplayed',
        { subscriberId: entry.subscriberId, messageId: entry.details.message.id, outcome },
        entry.parked,
        id,
      );
      return `Replayed ${entry.details.message.type} for ${entry.subscriberId}: ${outcome}.`;
    });
    req.session!.flash = flash;
    res.redirect(303, '/admin/parked');
  });

  /** The page that asks before a discard; again, with what was typed and what is wrong, after a refused post. */
  function renderDiscard(
    req: Request,
    res: Response,
    entry: ParkedEntry,
    form: { reason: string; problems: DiscardProblems } = {
      reason: '',
      problems: { reason: undefined, confirm: undefined },
    },
  ): void {
    issueCsrfToken(req, res);
    res.render('admin-parked-discard', {
      title: 'Discard a parked message?',
      entry: parkedView(entry),
      reason: form.reason,
      problems: form.problems,
      confirmWord: CONFIRM_WORD,
    });
  }

  router.get('/:globalPosition/discard', async (req, res) => {
    renderDiscard(req, res, await actedOn(pool, positionOf(req)));
  });

  router.post('/:globalPosition/discard', async (req, res) => {
    const globalPosition = positionOf(req);
    const outcome = await claims.claim(
      globalPosition,
      'discard',
      async (): Promise<
        { flash: string } | { refused: { entry: ParkedEntry; form: ReturnType<typeof discardForm> } }
      > => {
        const entry = await actedOn(pool, globalPosition);
        const form = discardForm(req);
        // Asked again, with nothing done: a discard cannot be undone.
        if (form.valid === undefined) return { refused: { entry, form } };
        // A Parked message whose data is not the engine's has no message id of its own to name: its own id stands in.
        const messageId = entry.details?.message.id ?? entry.parked.id;
        // One discard per Parked message, whoever posts it and however often: the id says which.
        const id = adminActionId(`discard/${entry.parked.id}`);
        try {
          await recordAdminAction(
            messageStore,
            actorOf(req),
            'ParkedMessageDiscarded',
            { subscriberId: entry.subscriberId, messageId, reason: form.valid },
            entry.parked,
            id,
          );
        } catch (error) {
          if (error instanceof ActionAlreadyRecordedError)
            throw new ConflictError(
              'That message has just been discarded by another request; its reason is the one on record.',
            );
          throw error;
        }
        return { flash: `Discarded ${entry.details?.message.type ?? 'a parked message'} for ${entry.subscriberId}.` };
      },
    );
    if ('refused' in outcome) {
      res.status(400);
      return renderDiscard(req, res, outcome.refused.entry, outcome.refused.form);
    }
    req.session!.flash = outcome.flash;
    res.redirect(303, '/admin/parked');
  });

  return { path: 'parked', title: 'Parked', router, viewsDir: VIEWS_DIR };
};
