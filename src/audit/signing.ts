import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed head asserts: "the chain's link at this global position was this, at this time". */
export interface HeadClaim {
  readonly globalPosition: number;
  readonly link: Buffer;
  readonly signedAt: Date;
}

export interface SignedHead extends HeadClaim {
  readonly hmac: Buffer;
  /** Which key signed it (see keyId), so a rotated-out key is told apart from a forgery. */
  readonly keyId: string;
}

export type HeadCheck = 'valid' | 'forged' | 'unknown-key';

/**
 * The signed text is spelled out (not a binary layout) so anyone holding the key can check a
 * head by hand: `printf '...' | openssl dgst -sha256 -hmac "$AUDIT_KEY"`.
 */
export function headMessage(claim: HeadClaim): string {
  return `video-tutorials audit head v1\n${claim.globalPosition}\n${claim.link.toString('hex')}\n${claim.signedAt.toISOString()}`;
}

/** A short public name for a key: HMAC of a fixed text, so it says nothing about the key itself. */
export function keyId(key: string): string {
  return createHmac('sha256', key).update('video-tutorials audit key id').digest('hex').slice(0, 16);
}

export function signHead(key: string, claim: HeadClaim): SignedHead {
  return { ...claim, hmac: createHmac('sha256', key).update(headMessage(claim)).digest(), keyId: keyId(key) };
}

/** Checks a head with whichever of `keys` its key id names. */
export function checkHead(keys: readonly string[], head: SignedHead): HeadCheck {
  const key = keys.find((candidate) => keyId(candidate) === head.keyId);
  if (key === undefined) return 'unknown-key';
  const expected = createHmac('sha256', key).update(headMessage(head)).digest();
  return expected.length === head.hmac.length && timingSafeEqual(expected, head.hmac) ? 'valid' : 'forged';
}

/** Short hex for people: enough to compare by eye with a logged head. */
export function shortHex(bytes: Buffer): string {
  return bytes.toString('hex').slice(0, 16);
}
