/**
 * What a video's name, description and take-down reason may be. Part of video-publishing's
 * contract (video-publishing.ts re-exports it): the component decides by these rules, and the
 * creators portal refuses text that breaks them before a command is written, so such text never
 * enters the log.
 */

/** In characters (code points), after trimming. */
export const MAX_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 5_000;
export const MAX_TAKE_DOWN_REASON_LENGTH = 500;

/** Why text was turned down, as the creator is shown it. */
export const TEXT_REJECTIONS = {
  blankName: 'a name cannot be blank',
  nameTooLong: `a name can be at most ${MAX_NAME_LENGTH.toLocaleString('en')} characters`,
  nameNotOneLine: 'a name must be one line of plain text',
  nameInvisible:
    'a name cannot hold invisible characters that change how text is shown (such as a right-to-left override)',
  unchangedName: 'the video already has that name',
  descriptionTooLong: `a description can be at most ${MAX_DESCRIPTION_LENGTH.toLocaleString('en')} characters`,
  descriptionControlCharacters: 'a description must be plain text',
  descriptionInvisible:
    'a description cannot hold invisible characters that change how text is shown (such as a right-to-left override)',
  unchangedDescription: 'the video already has that description',
  blankTakeDownReason: 'a take-down needs a reason',
  takeDownReasonTooLong: `a reason can be at most ${MAX_TAKE_DOWN_REASON_LENGTH} characters`,
  takeDownReasonNotPlain: 'a reason must be plain text',
} as const;

export type Decision = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

const length = (text: string): number => [...text].length;
// C0/C1 controls, and the line and paragraph separators that act as line breaks.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// A description keeps its line breaks and tabs, nothing else invisible.
const CONTROL_BUT_LAYOUT = /[^\P{Cc}\t\n\r]|[\u2028\u2029]/u;
// Format characters (Unicode's Cf) are invisible and change how the text around them is shown:
// direction overrides and isolates can make a name read backwards, zero-width ones hide in a
// name that looks like another. Allowed: the two joiners between visible characters (emoji such
// as 👩‍💻 and scripts such as Persian need them) and the tag characters of flag emoji.
const INVISIBLE_FORMAT = /(?![\u200C\u200D])\p{Cf}/u;
const STRAY_JOINER = /(?<![\p{L}\p{M}\p{N}\p{S}])[\u200C\u200D]|[\u200C\u200D](?![\p{L}\p{M}\p{N}\p{S}])/u;
// A flag such as Scotland's: a black flag, tag letters, a cancel tag. Anywhere else tag
// characters show nothing and can carry hidden text.
const FLAG_TAGS = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;
const hasInvisibleFormatting = (text: string): boolean =>
  INVISIBLE_FORMAT.test(text.replace(FLAG_TAGS, '\u{1F3F4}')) || STRAY_JOINER.test(text);
// Something that shows: not a space, not a character meant to be ignored when shown (such as the
// Hangul fillers, letters that show nothing and are used for names that look blank).
const VISIBLE = /[^\s\p{Default_Ignorable_Code_Point}]/u;

/**
 * Text as the rules read and keep it: composed (NFC), line breaks as one character (a browser
 * sends a textarea's as CR LF, after counting each as one against its maxlength), and trimmed.
 */
export const tidyText = (text: string): string => text.normalize('NFC').replace(/\r\n?/g, '\n').trim();
const tidy = tidyText;

/** Why a requested name breaks the rules, whatever the video is called now; undefined if it does not. */
export function nameProblem(requested: string): string | undefined {
  const name = tidy(requested);
  if (name === '') return TEXT_REJECTIONS.blankName;
  if (CONTROL.test(name)) return TEXT_REJECTIONS.nameNotOneLine;
  if (hasInvisibleFormatting(name)) return TEXT_REJECTIONS.nameInvisible;
  if (!VISIBLE.test(name)) return TEXT_REJECTIONS.blankName;
  if (length(name) > MAX_NAME_LENGTH) return TEXT_REJECTIONS.nameTooLong;
  return undefined;
}

/** Why a requested description breaks the rules; undefined if it does not. Empty is fine: it clears it. */
export function descriptionProblem(requested: string): string | undefined {
  const description = tidy(requested);
  if (CONTROL_BUT_LAYOUT.test(description)) return TEXT_REJECTIONS.descriptionControlCharacters;
  if (hasInvisibleFormatting(description)) return TEXT_REJECTIONS.descriptionInvisible;
  if (length(description) > MAX_DESCRIPTION_LENGTH) return TEXT_REJECTIONS.descriptionTooLong;
  return undefined;
}

/** One line of text, trimmed, 1 to 200 characters, nothing invisible, and not the name it already has. */
export function decideName(requested: string, current: string | undefined): Decision {
  const name = tidy(requested);
  const problem = nameProblem(name) ?? (name === current ? TEXT_REJECTIONS.unchangedName : undefined);
  return problem ? { ok: false, reason: problem } : { ok: true, value: name };
}

/** Trimmed text of at most 5,000 characters, nothing invisible but line breaks and tabs; empty clears it. */
export function decideDescription(requested: string, current: string): Decision {
  const description = tidy(requested);
  const problem =
    descriptionProblem(description) ?? (description === current ? TEXT_REJECTIONS.unchangedDescription : undefined);
  return problem ? { ok: false, reason: problem } : { ok: true, value: description };
}

/** An admin's reason for a take-down, shown to the video's owner: trimmed plain text (line breaks allowed), 1 to 500 characters. */
export function decideTakeDownReason(requested: string): Decision {
  const reason = tidy(requested);
  if (reason === '') return { ok: false, reason: TEXT_REJECTIONS.blankTakeDownReason };
  if (CONTROL_BUT_LAYOUT.test(reason) || hasInvisibleFormatting(reason))
    return { ok: false, reason: TEXT_REJECTIONS.takeDownReasonNotPlain };
  if (length(reason) > MAX_TAKE_DOWN_REASON_LENGTH) return { ok: false, reason: TEXT_REJECTIONS.takeDownReasonTooLong };
  return { ok: true, value: reason };
}
