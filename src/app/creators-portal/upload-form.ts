import {
  descriptionProblem,
  MAX_NAME_LENGTH,
  nameProblem,
  tidyText,
  isVisibility,
  type Visibility,
} from '../../contracts/video-publishing.ts';
import { HttpError } from '../../web/errors.ts';

/** The upload form's text fields; the form sends them before the file. */
export const UPLOAD_FIELDS = { title: 'title', description: 'description', visibility: 'visibility' } as const;

/** What a creator asked for with an upload. `name` is '' when neither they nor the file's name gave one. */
interface UploadIntent {
  readonly name: string;
  readonly description: string;
  readonly visibility: Visibility;
}

export type UploadTyped = Readonly<Record<keyof typeof UPLOAD_FIELDS, string>>;
export type UploadErrors = Partial<Record<keyof typeof UPLOAD_FIELDS, string>>;

/** A refused upload form: the page is shown again with what was typed and why, nothing stored. */
export class UploadFormError extends HttpError {
  override name = 'UploadFormError';
  constructor(
    readonly typed: UploadTyped,
    readonly errors: UploadErrors,
  ) {
    super(400, Object.values(errors).join(' '));
  }
}

/** "a name cannot be blank" → "A name cannot be blank." */
export const sentence = (phrase: string): string => `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)}.`;

/**
 * A title from a file's name, as the upload page's script makes it: the folder and extension
 * dropped, underscores as spaces ("intro_to_streams.mp4" → "intro to streams"). '' if nothing is left.
 */
export function titleFromFileName(filename: string): string {
  const base = filename.split(/[/\\]/).pop() ?? '';
  const title = base
    .replace(/\.[^.\s]{1,5}$/, '')
    .replace(/_+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = [...title].slice(0, MAX_NAME_LENGTH).join('').trim();
  // A file's name can hold anything; a title it cannot give is left to the creator.
  return nameProblem(cut) ? '' : cut;
}

/** The creator's intent from the form's fields, or throws UploadFormError. A blank title is made from the file's name. */
export function readUploadIntent(fields: Readonly<Record<string, string>>, filename: string): UploadIntent {
  const typed: UploadTyped = {
    title: fields[UPLOAD_FIELDS.title] ?? '',
    description: fields[UPLOAD_FIELDS.description] ?? '',
    visibility: fields[UPLOAD_FIELDS.visibility] ?? 'draft',
  };
  const name = tidyText(typed.title) === '' ? titleFromFileName(filename) : tidyText(typed.title);
  const errors: UploadErrors = {};
  const nameRefused = name === '' ? undefined : nameProblem(name);
  if (nameRefused) errors.title = sentence(nameRefused);
  const descriptionRefused = descriptionProblem(typed.description);
  if (descriptionRefused) errors.description = sentence(descriptionRefused);
  if (!isVisibility(typed.visibility)) errors.visibility = 'Choose who can watch it: draft, unlisted or public.';
  if (Object.keys(errors).length > 0) throw new UploadFormError(typed, errors);
  return { name, description: tidyText(typed.description), visibility: typed.visibility as Visibility };
}
