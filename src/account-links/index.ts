import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a link lets its holder do. Each purpose signs with its own input, so a verification link
 * can never be replayed as a reset link for the same request id.
 */
export const LINK_PURPOSES = ['password-reset', 'verify-email'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/** Where a link's token goes in an email's text and HTML; send-email puts the signed URL there at delivery. */
export const LINK_PLACEHOLDER = '%ACCOUNT_LINK%';

// A uuid, a dot, and 43 base64url characters (HMAC-SHA256: 256 bits).
const TOKEN_SHAPE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export interface AccountLinks {
  /** The token of a request's link: `<requestId>.<HMAC>`; made again on demand, never stored. */
  tokenFor(purpose: LinkPurpose, requestId: string): string;
  /** The request a token names, if it has a token's shape (its signature is checked by `matches`). */
  requestIdOf(token: string): string | undefined;
  /** What may be stored or sent in a message in place of a token: its SHA-256, hex. */
  hashOf(token: string): string;
  /** Whether `tokenHash` is the hash of the token this request's link carries, compared in constant time. */
  matches(purpose: LinkPurpose, requestId: string, tokenHash: string): boolean;
}

/**
 * Account links (password reset, email verification) carry a token that is an HMAC of the purpose
 * and the request id under a secret derived from the cookie-signing key. Nothing stores a token:
 * the request's event holds only its id, the email's Send holds only the link's purpose and id
 * (send-email signs it at delivery), and the command that uses a link carries the token's hash.
 * Whoever reads the whole message store therefore cannot use a link; whoever holds the secret
 * could, as they could forge a session cookie. Rotating the key voids the links in flight.
 */
export function createAccountLinks(cookieSecret: string): AccountLinks {
  const secret = createHmac('sha256', cookieSecret).update('video-tutorials account links').digest();
  const sign = (purpose: LinkPurpose, requestId: string): string =>
    createHmac('sha256', secret).update(`${purpose}\n${requestId}`).digest('base64url');
  const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');
  return {
    tokenFor: (purpose, requestId) => `${requestId}.${sign(purpose, requestId)}`,
    requestIdOf: (token) => TOKEN_SHAPE.exec(token)?.[1],
    hashOf,
    matches(purpose, requestId, tokenHash) {
      const expected = Buffer.from(hashOf(`${requestId}.${sign(purpose, requestId)}`), 'hex');
      const given = Buffer.from(tokenHash, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
