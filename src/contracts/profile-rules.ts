/**
 * The rules for a display name and a handle, one place for the form, the identity component
 * (which checks them again once it has opened the sealed values) and the pages.
 */

export const MAX_DISPLAY_NAME_LENGTH = 50;
export const MIN_HANDLE_LENGTH = 3;
export const MAX_HANDLE_LENGTH = 30;

const CONTROL = /\p{Cc}/u;
/**
 * Characters that change the direction of the text after them (embeddings, overrides, isolates:
 * U+202A–U+202E, U+2066–U+2069) or take no room at all (zero-width space U+200B, word joiner
 * U+2060, BOM U+FEFF). Refused in a display name: "‮evil" shows as "live" reversed, and an
 * invisible character makes two names look the same. Zero-width joiner and non-joiner (U+200C,
 * U+200D) stay allowed: Persian, Indic scripts and emoji need them. Whatever a name holds, pages
 * show it inside <bdi>, so even a name from before this rule cannot turn the text around it.
 */
const DIRECTION_OR_INVISIBLE = /[\u200B\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/u;
/** Something a reader can see: a letter, digit, mark-bearing letter, symbol or punctuation. */
const VISIBLE = /[\p{L}\p{N}\p{S}\p{P}]/u;

/** Characters as a person counts them (code points, not UTF-16 units). */
const lengthOf = (text: string): number => [...text].length;

/** Trimmed: the one spelling of a display name that is stored. */
export function normaliseDisplayName(name: string): string {
  return name.trim();
}

/** What is wrong with a (normalised) display name, in the words of the person who typed it, or undefined. */
export function displayNameProblem(name: string): string | undefined {
  if (name === '') return 'Enter the name to show with your videos.';
  if (lengthOf(name) > MAX_DISPLAY_NAME_LENGTH)
    return `A display name has at most ${MAX_DISPLAY_NAME_LENGTH} characters. Choose a shorter one.`;
  if (CONTROL.test(name)) return 'A display name cannot contain control characters (such as tabs or line breaks).';
  if (DIRECTION_OR_INVISIBLE.test(name))
    return 'A display name cannot contain invisible characters or characters that change the direction of text. Type it again without them.';
  if (!VISIBLE.test(name)) return 'A display name needs at least one letter, digit or sign that can be seen.';
  return undefined;
}

/** Trimmed and lower-cased: handles are compared, reserved and stored in this spelling. */
export function normaliseHandle(handle: string): string {
  return handle.trim().replace(/^@/, '').toLowerCase();
}

const HANDLE = new RegExp(`^[a-z0-9_-]{${MIN_HANDLE_LENGTH},${MAX_HANDLE_LENGTH}}$`);
/**
 * The handles given to users registered before handles existed: `u-` and the first 28 hex digits
 * of their user id. Unique because user ids are, so they need no reservation stream; nobody may
 * type one, so no reservation can ever collide with them.
 */
const GENERATED = /^u-[0-9a-f]{28}$/;

export function generatedHandle(userId: string): string {
  return `u-${userId.replaceAll('-', '').toLowerCase().slice(0, 28)}`;
}

/**
 * The name shown for a user registered before names existed, until they choose one: the
 * pseudonym every video showed before ("creator-5e7d0c"), so nothing they published changes name.
 */
export function generatedDisplayName(userId: string): string {
  return `creator-${userId.replaceAll('-', '').toLowerCase().slice(0, 6)}`;
}

export function isGeneratedHandle(handle: string): boolean {
  return GENERATED.test(handle);
}

/** What is wrong with a (normalised) handle someone chose, in their words, or undefined. */
export function handleProblem(handle: string): string | undefined {
  if (handle === '') return 'Choose a handle: the short name in the address of your page.';
  if (!HANDLE.test(handle))
    return `A handle has ${MIN_HANDLE_LENGTH} to ${MAX_HANDLE_LENGTH} characters, each a letter a–z, a digit, - or _ (no spaces or accents).`;
  if (isGeneratedHandle(handle))
    return 'Handles of the form u- and 28 letters and digits are kept for accounts that have not chosen one. Choose another.';
  return undefined;
}
