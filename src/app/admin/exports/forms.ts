import { hasControlCharacter } from '../control-characters.ts';

/** The exports page's forms as typed, to fill them again (after a refusal, or from a user's or video's page). */
export interface ExportForms {
  readonly user: { readonly userId: string; readonly format: string };
  readonly video: { readonly videoId: string; readonly format: string };
  readonly trace: { readonly traceId: string };
  readonly category: { readonly category: string; readonly from: string; readonly to: string; readonly format: string };
}

/** Which form was refused, and what to do about it. */
export interface Refusal {
  readonly form: keyof ExportForms;
  readonly text: string;
}

/** A typed value to put back in a field: text only, short, and nothing a field cannot hold. */
function typed(fields: Readonly<Record<string, unknown>> | undefined, name: string): string {
  const value = fields?.[name];
  return typeof value === 'string' && !hasControlCharacter(value) ? value.slice(0, 200) : '';
}

/** Each form's fields from what was sent to it; a form not named is empty. */
export function formsOf(sent: Partial<Record<keyof ExportForms, Readonly<Record<string, unknown>>>>): ExportForms {
  const { user, video, trace, category } = sent;
  return {
    user: { userId: typed(user, 'userId'), format: typed(user, 'format') },
    video: { videoId: typed(video, 'videoId'), format: typed(video, 'format') },
    trace: { traceId: typed(trace, 'traceId') },
    category: {
      category: typed(category, 'category'),
      from: typed(category, 'from'),
      to: typed(category, 'to'),
      format: typed(category, 'format'),
    },
  };
}
