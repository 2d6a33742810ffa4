import type { Request, RequestHandler, Response, Router } from 'express';
import { eraseUser } from '../../components/identity/erase-user.ts';
import { MAX_PASSWORD_BYTES } from '../../contracts/identity.ts';
import { videoPublishingCommandStreamName, type UnpublishVideo } from '../../contracts/video-publishing.ts';
import { derivedMessageId, type MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';
import { issueCsrfToken, requireCsrfToken } from '../../web/csrf.ts';
import type { DeviceCookies } from '../../web/device-cookie.ts';
import { durationInWords } from '../../web/duration-words.ts';
import type { LoginThrottle, LogInClient } from '../../web/login-throttle.ts';
import type { PasswordHasher } from '../../web/passwords.ts';
import type { Sessions } from '../authenticate/sessions.ts';
import type { AccountQueries } from './queries.ts';
import { formField } from '../../web/form-field.ts';

// Fixed: a deletion run again (posted twice, or after a crash) sends each unpublish with the same id, stored once.
const UNPUBLISH_NAMESPACE = '594e6bcc-bbcd-45ff-8a1f-e12684f70b7d';
/** What the person types to say they mean it. */
const CONFIRM_WORD = 'DELETE';
const NOTHING_DONE = 'Nothing was deleted.';

interface DeleteAccountDeps {
  readonly messageStore: MessageStore;
  readonly personalData: PersonalData;
  readonly sessions: Sessions;
  readonly queries: Pick<AccountQueries, 'videosUp'>;
}

/**
 * A user deletes their own account, in an order that a crash at any point leaves safe and a
 * second run finishes:
 * 1. an UnpublishVideo for each of their videos on the site or on its way there, in their own
 *    name (the video-publishing component checks they own it), with an id derived from the user
 *    and the video (and, for a converting one, that it was converting): sent again, it is stored
 *    and answered once. Their list (creators_videos) may be a moment behind the log, so a
 *    video it shows as converting gets one too: published meanwhile, it comes off; still
 *    converting, the command is refused as "not published" and the component refuses to
 *    publish the video of an erased owner.
 * 2. eraseUser, the admin's erasure (src/components/identity/erase-user.ts): the key first, the
 *    email's reservation released, UserErased, by the user themselves. From the key's deletion on,
 *    no session of theirs counts (sessions.userOf), in any browser.
 * 3. every session row of theirs deleted, so none is left to expire.
 * Returns how many published videos were asked to be unpublished.
 */
export async function deleteOwnAccount(
  { messageStore, personalData, sessions, queries }: DeleteAccountDeps,
  userId: string,
  traceId: string,
): Promise<number> {
  const { published, converting } = await queries.videosUp(userId);
  // A converting video's command gets an id of its own: a run after a crash that finds it
  // published since must send a new one, not the refused one again (the store would keep the old).
  const asked = [
    ...published.map((videoId) => ({ videoId, name: videoId })),
    ...converting.map((videoId) => ({ videoId, name: `${videoId}/converting` })),
  ];
  for (const { videoId, name } of asked) {
    const command: UnpublishVideo = {
      id: derivedMessageId(UNPUBLISH_NAMESPACE, `${userId}/${name}`),
      type: 'UnpublishVideo',
      data: { videoId },
      metadata: { traceId, userId },
    };
    await messageStore.write(videoPublishingCommandStreamName(videoId), command);
  }
  await eraseUser({ messageStore, personalData }, userId, { by: userId, traceId });
  await sessions.endAllFor(userId);
  return published.length;
}

interface DeleteRouteDeps extends DeleteAccountDeps {
  readonly queries: AccountQueries;
  readonly passwords: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly devices: DeviceCookies;
}

/**
 * GET /delete asks for the password and the word DELETE on a page of its own, saying what will
 * happen; POST /delete checks both on the server and, only then, deletes. A refusal is the same
 * page (400, or 429 when the password was tried too often), empty, saying what to fix and that
 * nothing was deleted. Wrong passwords count against the same limits as log-in's: a stolen
 * session is no way round them. GET /deleted (open to anyone) says what was kept and what was not.
 */
export function addDeleteRoutes(router: Router, deps: DeleteRouteDeps, loggedIn: RequestHandler): void {
  const { queries, passwords, throttle, devices } = deps;

  async function showForm(
    req: Request,
    res: Response,
    status: number,
    problems: readonly string[] = [],
  ): Promise<void> {
    issueCsrfToken(req, res);
    const videos = await queries.videosUp(req.context.userId!);
    res.status(status).render('account-delete', {
      title: 'Delete your account',
      published: videos.published.length,
      converting: videos.converting.length,
      confirmWord: CONFIRM_WORD,
      problems,
    });
  }

  router.get('/delete', loggedIn, async (req, res) => {
    await showForm(req, res, 200);
  });

  router.post('/delete', loggedIn, requireCsrfToken(), async (req, res) => {
    const userId = req.context.userId!;
    const account = await queries.account(userId);
    // The session counted a moment ago; its row went since (an erasure elsewhere): as if logged out.
    if (!account) return res.redirect(303, '/auth/log-in');
    const password = formField(req.body, 'password');
    const problems: string[] = [];
    if (formField(req.body, 'confirm').trim().toUpperCase() !== CONFIRM_WORD)
      problems.push(`Type the word ${CONFIRM_WORD} in its box.`);
    if (password === '') problems.push('Type your password.');
    else {
      const device = devices.knownDevice(req, userId);
      const client: LogInClient = device ? { device } : { address: req.ip ?? 'unknown' };
      const wait = await throttle.take(account.email, client);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        return showForm(req, res, 429, [
          `Too many wrong passwords. Try again in ${durationInWords(wait)}.`,
          NOTHING_DONE,
        ]);
      }
      // bcrypt reads only the first 72 bytes: a longer password is never theirs (log-in refuses it too).
      const fits = Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
      if (fits && (await passwords.verify(password, account.passwordHash)))
        await throttle.succeeded(account.email, client);
      else problems.push('That is not your password: type the one you log in with.');
    }
    if (problems.length > 0) return showForm(req, res, 400, [...problems, NOTHING_DONE]);

    await deleteOwnAccount(deps, userId, req.context.traceId);
    // A new session holding nothing of the old one (its id, its CSRF token) but the notice.
    req.session = { flash: 'Your account is deleted.' };
    res.redirect(303, '/account/deleted');
  });
}
