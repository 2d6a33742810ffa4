import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { normaliseEmail } from '../../../contracts/identity.ts';
import { eraseUser } from '../../../components/identity/erase-user.ts';
import type { MessageStore } from '../../../message-store/index.ts';
import { ERASED, type PersonalData } from '../../../personal-data/seal.ts';
import { issueCsrfToken } from '../../../web/csrf.ts';
import { BadRequestError, NotFoundError } from '../../../web/errors.ts';
import {
  ActionAlreadyRecordedError,
  actorOf,
  adminActionId,
  recordAdminAction,
} from '../shared/record-admin-action.ts';
import { sendTakeDown, takeDownCommandId } from '../shared/take-down.ts';
import type { AdminUser, createUsersQueries } from './queries.ts';
import { userHref } from './views.ts';
import { counted } from '../../../plural.ts';

/** What the creator's list says about each video an erasure takes down (they can no longer log in, but it is on record). */
const ERASURE_REASON = 'The account that uploaded this video was erased.';
/** Typed instead of the address: for someone with none on record, or an admin who would rather. */
const CONFIRM_WORD = 'ERASE';

type Queries = Pick<ReturnType<typeof createUsersQueries>, 'videosStillUp'>;

interface EraseDeps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
  readonly queries: Queries;
}

/**
 * Erases a user and takes their videos off the site, in an order that a crash at any point
 * leaves safe and a second run finishes:
 * 1. a TakeDownVideo for each of their videos still up (published, or waiting to be), in the
 *    admin's name, with an id derived from the user and the video: sent again, it is stored once,
 *    and video-publishing answers it once. Written before the key goes, so an erasure that the
 *    pages show as done never leaves their videos up; and a video taken down while it converts
 *    is never published.
 * 2. eraseUser: the key, the email's release, UserErased (src/components/identity/erase-user.ts).
 * A run after a crash lists the videos again: those already taken down are passed over, the rest
 * get the same commands as before.
 */
export async function eraseUserAndTheirVideos(
  { messageStore, personalData, queries }: EraseDeps,
  userId: string,
  actor: { readonly adminId: string; readonly traceId: string },
): Promise<number> {
  const videos = await queries.videosStillUp(userId);
  for (const { videoId } of videos) {
    await sendTakeDown(messageStore, actor, {
      videoId,
      reason: ERASURE_REASON,
      commandId: takeDownCommandId(`erase/${userId}/${videoId}`),
    });
  }
  await eraseUser({ messageStore, personalData }, userId, { by: actor.adminId, traceId: actor.traceId });
  return videos.length;
}

/** The address typed, or the word: either names this erasure as meant. */
function confirmed(user: AdminUser, typed: unknown): boolean {
  if (typeof typed !== 'string') return false;
  const text = typed.trim();
  if (text.toUpperCase() === CONFIRM_WORD) return true;
  return user.email !== null && user.email !== ERASED && normaliseEmail(text) === user.email;
}

interface EraseRouteDeps extends EraseDeps {
  /** The user an id in the path names, or undefined (a 404). */
  readonly userOf: (param: unknown) => Promise<AdminUser | undefined>;
}

/**
 * GET /:userId/erase asks for confirmation on a page of its own (no script needed), saying
 * what will happen; POST /:userId/erase acts only when the admin typed the user's address or
 * ERASE, and otherwise answers 400 with the same page, having done nothing.
 */
export function addEraseRoutes(router: Router, deps: EraseRouteDeps): void {
  const { userOf, queries, personalData } = deps;

  async function userFor(req: Request): Promise<AdminUser> {
    const user = await userOf(req.params.userId);
    if (!user) throw new NotFoundError('There is no user with that id.');
    return user;
  }

  async function renderConfirmation(req: Request, res: Response, user: AdminUser, error?: string): Promise<void> {
    issueCsrfToken(req, res);
    const [videos, keyErased] = await Promise.all([
      queries.videosStillUp(user.userId),
      personalData.isErased(user.userId),
    ]);
    const named = user.email !== null && user.email !== ERASED ? user.email : undefined;
    res.render('admin-user-erase', {
      title: `Erase ${named ?? user.userId}?`,
      user: { userId: user.userId, email: named, href: userHref(user.userId) },
      keyErased,
      published: videos.filter((video) => video.status === 'published').length,
      converting: videos.filter((video) => video.status !== 'published').length,
      confirmWord: CONFIRM_WORD,
      // The same form posted twice is one admin action (its id comes from this).
      requestId: randomUUID(),
      error,
    });
  }

  router.get('/:userId/erase', async (req, res) => {
    await renderConfirmation(req, res, await userFor(req));
  });

  router.post('/:userId/erase', async (req, res) => {
    const user = await userFor(req);
    if (!confirmed(user, (req.body as Record<string, unknown> | undefined)?.confirm)) {
      res.status(400);
      return renderConfirmation(
        req,
        res,
        user,
        `Type their email address or the word ${CONFIRM_WORD} to confirm. Nothing was erased.`,
      );
    }
    const requestId = z.uuid().safeParse((req.body as Record<string, unknown> | undefined)?.requestId);
    if (!requestId.success) throw new BadRequestError("This form was damaged. Reload the user's page and try again.");
    const actor = actorOf(req);
    try {
      await recordAdminAction(
        deps.messageStore,
        actor,
        'UserErasureRequested',
        { userId: user.userId },
        undefined,
        adminActionId(`UserErasureRequested/${requestId.data.toLowerCase()}`),
      );
    } catch (error) {
      // Posted twice: the request is on record once, and erasing again only finishes what is left.
      if (!(error instanceof ActionAlreadyRecordedError)) throw error;
    }
    const videos = await eraseUserAndTheirVideos(deps, user.userId, actor);
    const takenDown =
      videos === 0
        ? ''
        : ` ${videos === 1 ? 'Their video is' : `Their ${counted(videos, 'video')} are`} being taken down.`;
    req.session!.flash = `Erased user ${user.userId}: their personal fields no longer open.${takenDown} The pages show ${ERASED} once the projections catch up.`;
    res.redirect(303, userHref(user.userId));
  });
}
