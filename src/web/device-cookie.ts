import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';

const COOKIE = 'device';
/** Long-lived: it only says this browser once knew the password, and buys no log-in by itself. */
const MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;
const isUserId = (value: string): boolean => z.uuid().safeParse(value).success;

/** A key of its own per cookie secret, so a device token and a session signature never stand for each other. */
const deviceKeyOf = (secret: string): Buffer => createHmac('sha256', secret).update('device-cookie v1').digest();

const macOf = (key: Buffer, body: string): Buffer => createHmac('sha256', key).update(body).digest();

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export interface DeviceCookies {
  /**
   * The device this browser proved itself on for `userId` (a good password there before), as a
   * key for that device's own limit; undefined when its token is missing, forged, or names
   * another account.
   */
  knownDevice(req: Request, userId: string): string | undefined;
  /** After a good password: the browser keeps (or gets) its token for `userId`. */
  remember(req: Request, res: Response, userId: string): void;
}

/**
 * OWASP's device cookies: `<userId>.<nonce>.<HMAC>`, signed with a key made from each cookie
 * secret (the first signs, all verify, as for sessions). It names the account by id, never by
 * email, and goes only to /auth, where log-in is.
 */
export function createDeviceCookies({ secrets, secure }: { secrets: readonly string[]; secure: boolean }): DeviceCookies {
  const keys = secrets.map(deviceKeyOf);
  const signing = keys[0];
  if (!signing) throw new Error('device cookies need at least one cookie secret');

  const verified = (token: string | undefined): { userId: string; device: string } | undefined => {
    const [userId = '', nonce = '', mac = '', ...rest] = (token ?? '').split('.');
    if (rest.length > 0 || !isUserId(userId) || nonce === '') return undefined;
    const given = Buffer.from(mac, 'base64url');
    const body = `${userId}.${nonce}`;
    const genuine = keys.some((key) => {
      const expected = macOf(key, body);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    return genuine ? { userId, device: body } : undefined;
  };

  const knownDevice = (req: Request, userId: string): string | undefined => {
    const token = verified(cookieValue(req.get('cookie'), COOKIE));
    return token?.userId === userId ? token.device : undefined;
  };

  return {
    knownDevice,
    remember(req, res, userId) {
      // A browser that has a token for the account keeps its device (signed again, with the
      // current key, for another year); any other gets a new one.
      const body = knownDevice(req, userId) ?? `${userId}.${randomBytes(16).toString('base64url')}`;
      const token = `${body}.${macOf(signing, body).toString('base64url')}`;
      res.cookie(COOKIE, token, { path: '/auth', httpOnly: true, sameSite: 'lax', secure, maxAge: MAX_AGE_MS });
    },
  };
}
