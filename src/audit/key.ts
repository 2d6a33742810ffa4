import { createHash } from 'node:crypto';

/**
 * A key for development only, the same on every machine (it is written here): heads it signs
 * prove nothing, but the chain works on a bare laptop without configuration.
 */
export const DEVELOPMENT_AUDIT_KEY: string = createHash('sha256')
  .update('video-tutorials development audit key (not a secret)')
  .digest('hex');

export const MIN_AUDIT_KEY_LENGTH = 32;

export class AuditKeyError extends Error {
  override name = 'AuditKeyError';
}

export interface AuditKeys {
  /** Signs new heads. */
  readonly signing: string;
  /** Every key a head may have been signed with: the signing key first, then rotated-out ones. */
  readonly accepted: readonly string[];
  /** True when AUDIT_KEY was unset and the development key stands in. */
  readonly development: boolean;
}

/**
 * AUDIT_KEY from the environment, read here until env.ts carries it. Like COOKIE_SECRET it may
 * list keys, new first (`new,old`): the first signs, all verify, so a key can be rotated without
 * old heads turning into "unknown key". Production must have real keys.
 */
export function resolveAuditKeys(raw: {
  readonly AUDIT_KEY?: string | undefined;
  readonly NODE_ENV?: string | undefined;
}): AuditKeys {
  const production = raw.NODE_ENV === 'production';
  const value = raw.AUDIT_KEY?.trim();
  if (value === undefined || value === '') {
    if (production)
      throw new AuditKeyError(
        `AUDIT_KEY is missing: production needs a secret of at least ${MIN_AUDIT_KEY_LENGTH} characters to sign the audit chain`,
      );
    return { signing: DEVELOPMENT_AUDIT_KEY, accepted: [DEVELOPMENT_AUDIT_KEY], development: true };
  }
  const keys = value.split(',').map((key) => key.trim());
  if (keys.some((key) => key === '')) throw new AuditKeyError('AUDIT_KEY is malformed: an empty key between commas');
  if (production && keys.some((key) => key.length < MIN_AUDIT_KEY_LENGTH || key === DEVELOPMENT_AUDIT_KEY)) {
    throw new AuditKeyError(
      `AUDIT_KEY is malformed: production needs random keys of at least ${MIN_AUDIT_KEY_LENGTH} characters each`,
    );
  }
  const [signing = DEVELOPMENT_AUDIT_KEY] = keys;
  return { signing, accepted: keys, development: false };
}
