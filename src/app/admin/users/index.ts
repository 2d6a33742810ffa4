import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { z } from 'zod';
import {
  identityCommandStreamName,
  identityStreamName,
  MAX_EMAIL_LENGTH,
  normaliseEmail,
  type IdentityCommand,
} from '../../../contracts/identity.ts';
import { welcomeEmailsProjection } from '../../../components/identity/welcome-email.ts';
import { createPersonalData, hasKeyRow } from '../../../personal-data/seal.ts';
import { issueCsrfToken } from '../../../web/csrf.ts';
import { BadRequestError, NotFoundError } from '../../../web/errors.ts';
import {
  ActionAlreadyRecordedError,
  actorOf,
  adminActionId,
  recordAdminAction,
} from '../shared/record-admin-action.ts';
import type { AdminSectionFactory } from '../section.ts';
import { decodeUserCursor, encodeUserCursor, type UserListPosition } from './cursor.ts';
import { addEraseRoutes } from './erase.ts';
import { createUsersQueries, unlistedUser, type AdminUser } from './queries.ts';
import { loadTimeline } from './timeline.ts';
import { asOfHref } from '../shared/links.ts';
import { exportHref } from '../shared/links.ts';
import { entryView, userHref, userView, videoView, welcomeEmailLabel } from './views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const PAGE_SIZE = 50;
const VIDEOS_SHOWN = 20;

const userIdSchema = z.uuid();
const globalPositionSchema = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number);

function searchOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > MAX_EMAIL_LENGTH)
    throw new BadRequestError(`Search by the start of an email address, up to ${MAX_EMAIL_LENGTH} characters.`);
  return normaliseEmail(value) || undefined;
}

function listHref(search: string | undefined, after?: UserListPosition): string {
  const params = new URLSearchParams();
  if (search) params.set('q', search);
  if (after) params.set('after', encodeUserCursor(after));
  const query = params.toString();
  return `/admin/users${query ? `?${query}` : ''}`;
}

/** The users list (by email, searchable by its start) and each user's page: their row, videos and history. */
export const usersSection: AdminSectionFactory = ({ db, messageStore, messageStorePool }) => {
  const personalData = createPersonalData(db);
  const queries = createUsersQueries(db);
  const router = Router();

  /**
   * The user an id names: their admin-users row; or, for someone it has no row for (refused as
   * "email taken", a Register never handled), just the id, as long as something of theirs was
   * sealed (a key row) or a registration was asked for, so their data can be erased too.
   * Undefined for an id nobody used, or no id at all.
   */
  async function userOf(param: unknown): Promise<AdminUser | undefined> {
    const parsed = userIdSchema.safeParse(param);
    if (!parsed.success) return undefined;
    const userId = parsed.data.toLowerCase();
    const user = await queries.user(userId);
    if (user) return user;
    const known =
      (await hasKeyRow(db, userId)) || (await messageStore.streamVersion(identityCommandStreamName(userId))) >= 0;
    return known ? unlistedUser(userId) : undefined;
  }

  router.get('/', async (req, res) => {
    const search = searchOf(req.query.q);
    const after = req.query.after === undefined ? undefined : decodeUserCursor(req.query.after);
    if (req.query.after !== undefined && !after)
      throw new BadRequestError('That page link is broken. Start again from the first page of users.');
    const page = await queries.list({ search, after, pageSize: PAGE_SIZE });
    res.render('admin-users', {
      title: 'Users',
      search: search ?? '',
      users: page.users.map(userView),
      firstPage: !after,
      firstHref: listHref(search),
      nextHref: page.next ? listHref(search, page.next) : undefined,
    });
  });

  router.get('/:userId', async (req, res) => {
    const user = await userOf(req.params.userId);
    if (!user) throw new NotFoundError('There is no user with that id.');
    const parsedBefore = req.query.before === undefined ? undefined : globalPositionSchema.safeParse(req.query.before);
    if (parsedBefore && !parsedBefore.success)
      throw new BadRequestError('That page link is broken. Start again from the newest.');
    const before = parsedBefore?.data;
    issueCsrfToken(req, res);
    const [videos, timeline, erased, welcome] = await Promise.all([
      queries.videos(user.userId, VIDEOS_SHOWN),
      loadTimeline(db, messageStorePool, user.userId, before, PAGE_SIZE),
      personalData.isErased(user.userId),
      // The stream, not admin_users: the welcome email's state right now, retries included.
      messageStore.project(identityStreamName(user.userId), welcomeEmailsProjection),
    ]);
    res.render('admin-user', {
      title: user.email ?? user.userId,
      user: userView(user),
      erased,
      // An erasure stopped before its take-downs, or a video accepted as it ran: finishing it takes them down.
      videosStillUp: user.videosStillUp,
      eraseHref: `${userHref(user.userId)}/erase`,
      asOfHref: asOfHref('user', user.userId),
      exportHref: exportHref('user', user.userId),
      welcomeEmail: welcomeEmailLabel(welcome.state),
      // Registered (a welcome email was asked for) and not erased: identity would send it again.
      canResendWelcomeEmail: welcome.state.latest !== undefined && !erased,
      requestId: randomUUID(),
      videos: videos.map(videoView),
      moreVideos: user.videos > videos.length,
      entries: timeline.entries.map(entryView),
      newestHref: before === undefined ? undefined : userHref(user.userId),
      olderHref: timeline.next === undefined ? undefined : `${userHref(user.userId)}?before=${timeline.next}`,
    });
  });

  // Erasure: a confirmation page, then the user's videos taken down and their key deleted (erase.ts).
  addEraseRoutes(router, { messageStore, personalData, queries, userOf });

  /**
   * Asks identity to send the user's welcome email again (ResendRegistrationEmail with
   * byAdmin), recorded first as the admin's action. Both ids come from the form's request id:
   * the same form posted twice records one action and asks once.
   */
  router.post('/:userId/resend-welcome-email', async (req, res) => {
    const user = await userOf(req.params.userId);
    if (!user) throw new NotFoundError('There is no user with that id.');
    const requestId = userIdSchema.safeParse((req.body as { requestId?: unknown }).requestId);
    if (!requestId.success) throw new BadRequestError("This form was damaged. Reload the user's page and try again.");
    const { state: welcome } = await messageStore.project(identityStreamName(user.userId), welcomeEmailsProjection);
    if (!welcome.latest || (await personalData.isErased(user.userId))) {
      throw new BadRequestError('This user is not registered, or was erased: there is no welcome email to send.');
    }
    const actor = actorOf(req);
    const request = requestId.data.toLowerCase();
    try {
      await recordAdminAction(
        messageStore,
        actor,
        'WelcomeEmailResendRequested',
        { userId: user.userId },
        undefined,
        adminActionId(`WelcomeEmailResendRequested/${request}`),
      );
    } catch (error) {
      // This form was posted before: the action is on record, and the command below is written once.
      if (!(error instanceof ActionAlreadyRecordedError)) throw error;
    }
    const command: IdentityCommand = {
      id: adminActionId(`ResendRegistrationEmail/${request}`),
      type: 'ResendRegistrationEmail',
      data: { userId: user.userId, byAdmin: actor.adminId },
      metadata: { traceId: actor.traceId, userId: actor.adminId },
    };
    await messageStore.write(identityCommandStreamName(user.userId), command);
    req.session!.flash = 'Asked to send the welcome email again. Its state below follows within a few seconds.';
    res.redirect(303, userHref(user.userId));
  });

  return { path: 'users', title: 'Users', router, viewsDir: VIEWS_DIR };
};
