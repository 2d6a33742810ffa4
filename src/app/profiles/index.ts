import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  identityCommandStreamName,
  identityStreamName,
  REJECTION_REASONS,
  type IdentityCommand,
} from '../../contracts/identity.ts';
import { handleProblem, isGeneratedHandle, normaliseHandle } from '../../contracts/profile-rules.ts';
import { identityProjection } from '../../components/identity/identity.ts';
import { currentProfile, type Profile } from '../../components/identity/profile.ts';
import { derivedMessageId, type MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { requireUser } from '../../web/access.ts';
import { issueCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import { BadRequestError, NotFoundError } from '../../web/errors.ts';
import { refusalWords } from '../register-users/refusal-words.ts';
import { PROFILE_FIELD_RULES } from '../register-users/profile-field-rules.ts';
import { refilled, validateProfile, type ProfileInput } from '../register-users/validate.ts';
import { decodeCursor, encodeCursor } from '../home/cursor.ts';
import { durationLabel, UNTITLED, viewsLabel } from '../videos/format.ts';
import { changeOutcome, type ChangeOutcome } from './change-outcome.ts';
import type { ProfileQueries } from './queries.ts';
import { posterPath } from '../../web/poster-path.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
// Fixed: the same form posted twice must name the same command.
const CHANGE_NAMESPACE = '4b9e2d71-8c3a-4f56-a1d0-7e5c9b2f3a84';
const requestIdSchema = z.uuid();
const NO_SUCH_PERSON = { title: 'Nobody has this handle', next: { href: '/', label: 'Browse all videos' } };
// How often the page looks again while identity has not answered (it answers in about a second).
const PENDING_REFRESH_SECONDS = 2;

interface ProfilesDeps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
  readonly queries: ProfileQueries;
  readonly newId: () => string;
}

/** The command a profile form asks for: one per form, however often it is posted. */
const changeCommandId = (userId: string, requestId: string): string =>
  derivedMessageId(CHANGE_NAMESPACE, `${userId}/${requestId.toLowerCase()}`);

/**
 * `/@<handle>`, a person's channel (their display name, their public videos newest first, paged,
 * and how often they were watched), and
 * `/account/profile`, where a logged-in user changes their display name and handle.
 */
export function createProfilesApp({ messageStore, personalData, queries, newId }: ProfilesDeps) {
  const publicRouter = Router();
  publicRouter.get('/@:handle', async (req, res) => {
    const handle = normaliseHandle(String(req.params.handle));
    const wellFormed = handleProblem(handle) === undefined || isGeneratedHandle(handle);
    const profile = wellFormed ? await queries.byHandle(handle) : undefined;
    // Only a well-formed handle is repeated: anything else in a crafted link (a direction override,
    // an invisible character, a whole sentence) would otherwise be shown as this site's words.
    if (!profile)
      throw new NotFoundError(
        `Nobody on this site has ${wellFormed ? `the handle @${handle}` : 'that handle'}. It may have changed, or the link is mistyped.`,
        NO_SUCH_PERSON,
      );
    const after = req.query.after === undefined ? undefined : decodeCursor(req.query.after);
    if (req.query.after !== undefined && !after)
      throw new BadRequestError(`That page link is broken. Start again from @${profile.handle}’s newest videos.`);
    const [page, totalViews] = await Promise.all([
      queries.videosPage(profile.userId, after),
      queries.totalViews(profile.userId),
    ]);
    const channel = `/@${encodeURIComponent(profile.handle)}`;
    res.render('profile', {
      title: profile.displayName,
      profile,
      totalViews: viewsLabel(totalViews),
      firstPage: !after,
      channelHref: channel,
      nextHref: page.next ? `${channel}?after=${encodeCursor(page.next)}` : undefined,
      videos: page.videos.map((video) => ({
        href: `/videos/${video.videoId}`,
        posterUrl: posterPath(`/videos/${video.videoId}`, video.posterUri ?? ''),
        name: video.name ?? UNTITLED,
        duration: durationLabel(video.durationSeconds),
        views: viewsLabel(video.views),
      })),
    });
  });

  /** The name and handle the user has now, from their identity stream (a change shows at once, not when the projection follows). */
  async function profileNow(userId: string): Promise<Profile> {
    const { state } = await messageStore.project(identityStreamName(userId), identityProjection);
    const profile = state.registered ? await currentProfile(personalData, userId, state) : undefined;
    if (!profile)
      throw new NotFoundError('This account has no profile yet. Log out and in again, or come back in a minute.', {
        title: 'Profile not found',
      });
    return profile;
  }

  interface FormState {
    readonly typed?: ProfileInput | undefined;
    readonly errors?: Partial<Record<'displayName' | 'handle', string>>;
    readonly outcome?: ChangeOutcome | undefined;
    readonly outcomeWords?: string | undefined;
  }

  const showForm = (
    req: Request,
    res: Response,
    status: number,
    current: Profile,
    { typed, errors = {}, outcome, outcomeWords }: FormState,
  ) => {
    issueCsrfToken(req, res);
    res.status(status).render('account-profile', {
      title: 'Your name and handle',
      current,
      displayName: typed?.displayName ?? current.displayName,
      handle: typed?.handle ?? current.handle,
      generated: isGeneratedHandle(current.handle),
      rules: PROFILE_FIELD_RULES,
      errors,
      outcome,
      outcomeWords,
      refreshSeconds: outcome?.state === 'pending' ? PENDING_REFRESH_SECONDS : undefined,
      requestId: newId(),
    });
  };

  const accountRouter = Router();
  accountRouter.use(requireUser());

  accountRouter.get('/', async (req, res) => {
    const userId = req.context.userId!;
    const current = await profileNow(userId);
    const requestId = requestIdSchema.safeParse(req.query.change);
    const outcome = requestId.success
      ? await changeOutcome(messageStore, personalData, userId, changeCommandId(userId, requestId.data))
      : undefined;
    if (outcome?.state === 'rejected') {
      const words = refusalWords(outcome.reason).sentence;
      const field = outcome.reason === REJECTION_REASONS.handleTaken ? 'handle' : undefined;
      return showForm(req, res, 200, current, {
        typed: outcome.typed,
        errors: field ? { [field]: words } : {},
        outcome,
        outcomeWords: field ? undefined : words,
      });
    }
    showForm(req, res, 200, current, { outcome });
  });

  accountRouter.post('/', requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId!;
    const current = await profileNow(userId);
    const { input, errors } = validateProfile(req.body);
    const requestId = requestIdSchema.safeParse((req.body as { requestId?: unknown }).requestId);
    if (!requestId.success)
      return showForm(req, res, 400, current, {
        typed: refilled(input),
        outcomeWords: 'The form was damaged; it has been reset. Send it again.',
      });
    if (Object.keys(errors).length > 0) return showForm(req, res, 400, current, { typed: refilled(input), errors });
    if (input.handle !== current.handle && (await queries.handleTaken(input.handle, userId)))
      return showForm(req, res, 400, current, {
        typed: input,
        errors: { handle: refusalWords(REJECTION_REASONS.handleTaken).sentence },
      });

    const command: IdentityCommand = {
      id: changeCommandId(userId, requestId.data),
      type: 'ChangeProfile',
      data: {
        userId,
        displayName: await personalData.seal(userId, input.displayName),
        handle: await personalData.seal(userId, input.handle),
      },
      metadata: { traceId: req.context.traceId, userId },
    };
    await messageStore.write(identityCommandStreamName(userId), command);
    res.redirect(303, `/account/profile?change=${requestId.data.toLowerCase()}`);
  });

  return { publicRouter, accountRouter, viewsDir: VIEWS_DIR };
}
