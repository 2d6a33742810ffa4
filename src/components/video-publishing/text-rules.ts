import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_TAKE_DOWN_REASON_LENGTH, REJECTION_REASONS } from './contract.ts';

export type Decision = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

const length = (text: string): number => [...text].length;
// C0/C1 controls, and the line and paragraph separators that act as line breaks.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// A description keeps its line breaks and tabs, nothing else invisible.
const CONTROL_BUT_LAYOUT = /[^\P{Cc}\t\n\r]|[\u2028\u2029]/u;

/** One line of text, trimmed, 1 to 200 characters, and not the name it already has. */
export function decideName(requested: string, current: string | undefined): Decision {
  const name = requested.normalize('NFC').trim();
  if (name === '') return { ok: false, reason: REJECTION_REASONS.blankName };
  if (CONTROL.test(name)) return { ok: false, reason: REJECTION_REASONS.nameNotOneLine };
  if (length(name) > MAX_NAME_LENGTH) return { ok: false, reason: REJECTION_REASONS.nameTooLong };
  if (name === current) return { ok: false, reason: REJECTION_REASONS.unchangedName };
  return { ok: true, value: name };
}

/** Trimmed text of at most 5 000 characters; empty clears it. */
export function decideDescription(requested: string, current: string): Decision {
  const description = requested.normalize('NFC').trim();
  if (CONTROL_BUT_LAYOUT.test(description)) return { ok: false, reason: REJECTION_REASONS.descriptionControlCharacters };
  if (length(description) > MAX_DESCRIPTION_LENGTH) return { ok: false, reason: REJECTION_REASONS.descriptionTooLong };
  if (description === current) return { ok: false, reason: REJECTION_REASONS.unchangedDescription };
  return { ok: true, value: description };
}

/** An admin's reason for a take-down, shown to the video's owner: trimmed plain text (line breaks allowed), 1 to 500 characters. */
export function decideTakeDownReason(requested: string): Decision {
  const reason = requested.normalize('NFC').trim();
  if (reason === '') return { ok: false, reason: REJECTION_REASONS.blankTakeDownReason };
  if (CONTROL_BUT_LAYOUT.test(reason)) return { ok: false, reason: REJECTION_REASONS.takeDownReasonNotPlain };
  if (length(reason) > MAX_TAKE_DOWN_REASON_LENGTH) return { ok: false, reason: REJECTION_REASONS.takeDownReasonTooLong };
  return { ok: true, value: reason };
}
