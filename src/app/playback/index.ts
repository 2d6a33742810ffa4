import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request } from 'express';
import type { Knex } from 'knex';
import {
  playbackProgressSchema,
  playbackStreamName,
  type PlaybackHistoryCleared,
  type PlaybackProgressed,
} from '../../contracts/playback.ts';
import { viewingSchemas } from '../../contracts/viewing.ts';
import type { MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { counted } from '../../plural.ts';
import { requireUser } from '../../web/access.ts';
import { issueCsrfToken } from '../../web/csrf.ts';
import { BadRequestError, HttpError, NotFoundError, TooManyRequestsError } from '../../web/errors.ts';
import { posterPath } from '../../web/poster-path.ts';
import { durationLabel, UNTITLED } from '../videos/format.ts';
import { createPlaybackQueries, type Stopped, type Unfinished } from './queries.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** The contract's own check, so every route agrees on what a video id is. */
const videoIdSchema = viewingSchemas.VideoViewed.shape.videoId;
/** How many unfinished videos the home page lists. */
const CONTINUE_WATCHING_SIZE = 6;

const LOG_IN_FIRST =
  'Log in so the site can remember where you stopped watching. The video plays from the start meanwhile.';
const NOT_HERE =
  'There is no published video here to remember your place in. It may have been taken down; go back to the home page to find another.';

/** How the watch page offers to resume: "Resume at 3:12", and the second to seek to. */
function resumeView(stopped: Stopped | undefined): { readonly label: string; readonly seconds: number } | undefined {
  if (!stopped) return undefined;
  const seconds = Math.floor(stopped.positionSeconds);
  return { label: `Resume at ${durationLabel(seconds)}`, seconds };
}

/** "3:12 of 10:00 · 7 minutes left": the progress bar's words, so it says the same without its colours. */
function progressWords({ positionSeconds, durationSeconds }: Stopped): string {
  const leftSeconds = durationSeconds - positionSeconds;
  // Under a minute to go, "1 minute left" would overstate it.
  const left = leftSeconds < 60 ? 'less than a minute left' : `${counted(Math.round(leftSeconds / 60), 'minute')} left`;
  // Whole seconds down, as the watch page's "Resume at" counts them (durationLabel rounds).
  return `${durationLabel(Math.floor(positionSeconds))} of ${durationLabel(durationSeconds)} · ${left}`;
}

function unfinishedView(video: Unfinished) {
  const href = `/videos/${video.videoId}`;
  return {
    href,
    posterUrl: posterPath(href, video.posterUri ?? ''),
    name: video.name ?? UNTITLED,
    percent: Math.min(100, Math.round((video.positionSeconds / video.durationSeconds) * 100)),
    progress: progressWords(video),
  };
}

/** A form field's seconds as a player writes them (192.4): digits only, so "", "1e9" or "Infinity" are no number. */
function secondsOf(value: unknown): number {
  return typeof value === 'string' && /^\d{1,9}(?:\.\d{1,6})?$/.test(value) ? Number(value) : Number.NaN;
}

/** "10 minutes", "1 minute": how long until the viewer's place is remembered again. */
const waitLabel = (seconds: number): string => counted(Math.ceil(seconds / 60), 'minute');

interface PlaybackAppDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
  /** Takes one report from the viewer's allowance: 0 if they had one, else the seconds to wait. */
  readonly reportWait: (userId: string) => Promise<number>;
  readonly newId?: () => string;
}

/**
 * Continue watching. The watch page's player (public/js/playback.js) posts where a logged-in
 * viewer is to POST /playback/<videoId>, written as PlaybackProgressed to the viewer's own
 * stream; /account/watching-history clears it. The watch page and the home page read the
 * projection through resumeAt and continueWatching.
 */
export function createPlaybackApp({ db, messageStore, personalData, reportWait, newId = randomUUID }: PlaybackAppDeps) {
  const queries = createPlaybackQueries(db);

  function viewerOf(req: Request): string {
    // Whose progress it is comes from the session alone: nothing in the request can name another viewer.
    const { userId } = req.context;
    if (!userId)
      throw new HttpError(401, LOG_IN_FIRST, {
        title: 'Log in to continue watching',
        next: { href: '/auth/log-in', label: 'Log in' },
      });
    return userId;
  }

  const reports = Router();
  reports.post('/:videoId', async (req, res) => {
    const userId = viewerOf(req);
    const videoId = videoIdSchema.safeParse(req.params.videoId);
    if (!videoId.success)
      throw new BadRequestError('That link does not name a video. Go back to the video’s page and play it there.');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const progress = playbackProgressSchema.safeParse({
      positionSeconds: secondsOf(body.positionSeconds),
      durationSeconds: secondsOf(body.durationSeconds),
    });
    if (!progress.success) {
      throw new BadRequestError('That is not a place in this video. Reload the video’s page and play it there.');
    }
    // Before the catalog is read: an unknown video costs a report like any other.
    const wait = await reportWait(userId);
    if (wait > 0)
      throw new TooManyRequestsError(
        `Your place in videos is being saved too often just now. It is saved again in ${waitLabel(wait)}.`,
        wait,
      );
    const id = videoId.data.toLowerCase();
    if (!(await queries.isWatchable(id))) throw new NotFoundError(NOT_HERE, { title: 'Video not found' });
    const event: PlaybackProgressed = {
      id: newId(),
      type: 'PlaybackProgressed',
      data: { userId, videoId: await personalData.seal(userId, id), ...progress.data },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(playbackStreamName(userId), event);
    res.status(204).end();
  });

  const account = Router();
  const loggedIn = requireUser();
  // Asks first, without script too; with script the account page's dialog asks the same.
  account.get('/watching-history', loggedIn, (req, res) => {
    issueCsrfToken(req, res);
    res.render('watching-history-clear', { title: 'Clear your watching history?' });
  });
  account.post('/watching-history', loggedIn, async (req, res) => {
    const userId = req.context.userId!;
    const event: PlaybackHistoryCleared = {
      id: newId(),
      type: 'PlaybackHistoryCleared',
      data: { userId },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(playbackStreamName(userId), event);
    req.session!.flash = 'Your watching history is cleared: no video offers to resume, and Continue watching is empty.';
    res.redirect(303, '/account');
  });

  return {
    /** Mounted on /playback. */
    reports,
    /** Mounted on /account. */
    account,
    viewsDir: VIEWS_DIR,
    /** For the watch page: where to offer to resume, for a logged-in viewer. */
    resumeAt: async (userId: string, videoId: string) => resumeView(await queries.resumeAt(userId, videoId)),
    /** For the home page: the viewer's unfinished videos, ready for its section. */
    continueWatching: async (userId: string) =>
      (await queries.unfinished(userId, CONTINUE_WATCHING_SIZE)).map(unfinishedView),
  };
}
