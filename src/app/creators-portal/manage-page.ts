import type { Request, Response } from 'express';
import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, VISIBILITIES } from '../../contracts/video-publishing.ts';
import { issueCsrfToken } from '../../web/csrf.ts';
import { durationInWords } from '../../web/duration-words.ts';
import { wantsJson } from './kit.ts';
import type { CreatorVideo } from './queries.ts';
import { creatorVideoView, VISIBILITY_WORDS } from './views.ts';

/** A form of the manage page. */
export type ManageField = 'name' | 'description' | 'visibility' | 'poster';

/** A change refused before any command: what was typed (kept in its field) and why. */
export interface Refusal {
  readonly field: ManageField;
  readonly value: string;
  readonly error: string;
}

// The poster image form posts multipart: its token rides in the URL, as the upload's does.
const posterImageAction = (manageHref: string, csrfToken: string) =>
  `${manageHref}/poster-image?_csrf=${encodeURIComponent(csrfToken)}`;

/** The video's page; after a refused change, with what was typed kept in its field and the reason beside it. */
export function showVideo(req: Request, res: Response, video: CreatorVideo, status = 200, refused?: Refusal): void {
  const view = creatorVideoView(video);
  const csrfToken = issueCsrfToken(req, res);
  res.status(status).render('creators-video', {
    title: view.name,
    video: view,
    maxNameLength: MAX_NAME_LENGTH,
    maxDescriptionLength: MAX_DESCRIPTION_LENGTH,
    visibilities: VISIBILITIES.map((value) => ({ value, ...VISIBILITY_WORDS[value] })),
    typed: {
      name: view.named ? view.name : '',
      description: view.description,
      visibility: view.visibility,
      [refused?.field ?? 'none']: refused?.value,
    },
    errors: refused ? { [refused.field]: refused.error } : {},
    posterImageAction: posterImageAction(view.manageHref, csrfToken),
  });
}

/** A refusal, to the script as JSON ({ error, field }) or to a plain form as its page again. */
export function refuse(req: Request, res: Response, video: CreatorVideo, status: number, refused: Refusal): void {
  if (wantsJson(req)) {
    res.status(status).json({ error: refused.error, field: refused.field });
    return;
  }
  showVideo(req, res, video, status, refused);
}

/**
 * Takes one change (title, description, visibility, poster) from the creator's allowance, or
 * answers 429 with what was chosen kept; true if it may go on. Every change is a command and an
 * answer kept in the log for good: none of them is free.
 */
export async function takeFromAllowance(
  editWait: (userId: string) => Promise<number>,
  req: Request,
  res: Response,
  video: CreatorVideo,
  { field, value }: Pick<Refusal, 'field' | 'value'>,
): Promise<boolean> {
  const wait = await editWait(req.context.userId!);
  if (wait <= 0) return true;
  res.set('Retry-After', String(wait));
  const error = `You have made many changes in a short while. Try again in ${durationInWords(wait)}; what you chose is still here.`;
  refuse(req, res, video, 429, { field, value, error });
  return false;
}
