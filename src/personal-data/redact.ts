/**
 * What an operator may see of a message's data and metadata. The log keeps everything; a page or
 * an export shows secrets as "[redacted]" and personal fields masked, so an admin can tell that a
 * field is there and roughly whose it is without reading it. The rules are by field name first
 * (a secret stays a secret whatever its shape), then by what a string looks like wherever it
 * sits (an address inside an email's body, a bcrypt hash under an unexpected name).
 */

import { ERASED, SEALED } from './seal.ts';

export const REDACTED = '[redacted]';

/** Field names whose value is never shown: password hashes, tokens, keys. */
const SECRET_FIELD = /password|secret|token|apikey|privatekey/i;
/** Field names that hold an email address. */
const EMAIL_FIELD = /^(email|.*Email|to|from|cc|bcc|replyTo)$/;

// bcrypt's modular crypt format: $2a$/$2b$/$2y$, cost, 53 characters of salt and digest.
const BCRYPT_HASH = /\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}/g;
/**
 * Where an address may sit: a run of text between spaces and the punctuation that usually
 * surrounds an address (<>()[]"',;:). Loose on purpose: anything shaped like an address inside a
 * run is masked, better too much than too little.
 */
const RUN = /[^\s<>()[\]"',;:]+/g;
// What follows an "@" up to a dot and two letters or more: the longest such start of the text.
// Anchored, so it is tried once per "@", never at every position of a long run.
const DOMAIN = /^[^]+\.[A-Za-z]{2,}/;

/**
 * Every address inside `text`, replaced by what `replace` makes of it. One pass over the text:
 * a single pattern that looks for "local@domain.tld" at every position backtracks over the whole
 * of a long run without spaces at each of them, which froze the process for seconds on a
 * 63,000-character description.
 */
function replaceAddresses(text: string, replace: (address: string) => string): string {
  if (!text.includes('@')) return text;
  return text.replace(RUN, (run) => (run.includes('@') ? replaceInRun(run, replace) : run));
}

/** In a run, an address is the text back to the previous "@" (or the run's start) before an "@", and a domain after it. */
function replaceInRun(run: string, replace: (address: string) => string): string {
  const pieces: string[] = [];
  // Text before `written` is in pieces; the next address's local part starts at `local`.
  let written = 0;
  let local = 0;
  for (let at = run.indexOf('@'); at !== -1;) {
    const next = run.indexOf('@', at + 1);
    const domain = at > local ? DOMAIN.exec(run.slice(at + 1, next === -1 ? run.length : next)) : null;
    if (domain) {
      const end = at + 1 + domain[0].length;
      pieces.push(run.slice(written, local), replace(run.slice(local, end)));
      written = end;
      local = end;
    } else {
      local = at + 1;
    }
    at = next;
  }
  pieces.push(run.slice(written));
  return pieces.join('');
}

/** `alice@example.com` → `a•••@example.com`: whose domain, and a hint of whose address, no more. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return REDACTED;
  // The first character, not the first UTF-16 unit: an address may start with any letter.
  return `${Array.from(address)[0]}•••${address.slice(at)}`;
}

/** Masks every address and removes every bcrypt hash found inside a piece of text. */
export function redactText(text: string): string {
  return replaceAddresses(text.replace(BCRYPT_HASH, REDACTED), maskEmail);
}

/** What stands for an address removed from a piece of text kept for good (an SMTP reply in the log). */
export const ADDRESS_REMOVED = '[address]';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Text with every address in it replaced by "[address]", not masked: for text written to the
 * message store, which cannot be erased later. `known` (the address the text is about, say the
 * recipient an SMTP server refused) is removed wherever it appears, even where it does not look
 * like an address to the loose pattern (a server that quotes it oddly).
 */
export function withoutAddresses(text: string, known: readonly string[] = []): string {
  const literal = known
    .filter((address) => address !== '')
    .reduce((result, address) => result.replace(new RegExp(escapeRegExp(address), 'gi'), ADDRESS_REMOVED), text);
  return replaceAddresses(literal, () => ADDRESS_REMOVED);
}

/** What stands for a sealed field that cannot be read (src/personal-data/seal.ts): no one's data, shown as it is. */
const UNREADABLE = new Set<unknown>([ERASED, SEALED]);

function redactField(key: string, value: unknown): unknown {
  if (SECRET_FIELD.test(key)) return value === null || value === undefined ? value : REDACTED;
  if (UNREADABLE.has(value)) return value;
  if (EMAIL_FIELD.test(key) && typeof value === 'string') {
    // A value that is not an address (a typo someone registered with) is still theirs to keep.
    const masked = redactText(value);
    return masked === value && value !== '' ? REDACTED : masked;
  }
  return redactForDisplay(value);
}

/**
 * A copy of a JSON value (a message's data or metadata) fit to show an operator. Anything that
 * is not plain JSON (it came from the store, so it should be) is shown by its text.
 */
export function redactForDisplay(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => redactForDisplay(item));
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, field]) => [key, redactField(key, field)]),
    );
  }
  return value === undefined ? null : redactText(String(value));
}

/**
 * A copy of a JSON value for its own person to read (their "download my data"): secrets are
 * hidden as on the admin's pages (by field name, and bcrypt hashes in any text), and nothing else
 * is masked, since the addresses in it are theirs.
 */
export function withoutSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(BCRYPT_HASH, REDACTED);
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, field]) => [
        key,
        SECRET_FIELD.test(key) && field !== null && field !== undefined ? REDACTED : withoutSecrets(field),
      ]),
    );
  }
  return value;
}
