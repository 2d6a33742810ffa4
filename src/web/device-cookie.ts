import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';

const COOKIE = 'device';
/** Long-lived: it only says this browser once knew the password, and buys no log-in by itself. */
const MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;
/** A shared computer knows each of its accounts; past this many, the longest unused is forgotten. */
const MOST_ACCOUNTS = 5;
/** Between the tokens of one browser's accounts (a character no token holds). */
const SEPARATOR = '~';
const isUserId = (value: string): boolean => z.uuid().safeParse(value).success;

/** A key of its own per cookie secret, so a device token and a session signature never stand for each other. */
const deviceKeyOf = (secret: string): Buffer => createHmac('sha256', secret).update('device-cookie v1').digest();

const macOf = (key: Buffer, body: string): Buffer => createHmac('sha256', key).update(body).digest();

/**
 * Every cookie of that name the browser sent, not the first only: a sibling subdomain can plant
 * one of its own for a longer path (cookie tossing), which the browser sends first.
 */
function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) values.push(part.slice(at + 1).trim());
  }
  return values;
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
 * secret (the first signs, all verify, as for sessions), one per account the browser logged in
 * to, in one cookie. It names accounts by id, never by email, and goes only to /auth, where
 * log-in is.
 */
export function createDeviceCookies({
  secrets,
  secure,
}: {
  secrets: readonly string[];
  secure: boolean;
}): DeviceCookies {
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

  /** The genuine tokens the browser holds, whichever cookie they came in. */
  const devicesOf = (req: Request): Array<{ userId: string; device: string }> =>
    cookieValues(req.get('cookie'), COOKIE)
      .flatMap((value) => value.split(SEPARATOR))
      .flatMap((token) => verified(token) ?? []);

  const knownDevice = (req: Request, userId: string): string | undefined =>
    devicesOf(req).find((token) => token.userId === userId)?.device;
  const signed = (device: string): string => `${device}.${macOf(signing, device).toString('base64url')}`;

  return {
    knownDevice,
    remember(req, res, userId) {
      // A browser that has a token for the account keeps its device (signed again, with the
      // current key, for another year); any other gets a new one. The browser's other accounts
      // stay known (someone else logging in on a shared computer must not make it forget the
      // owner), the one just used first.
      const held = devicesOf(req);
      const device =
        held.find((token) => token.userId === userId)?.device ?? `${userId}.${randomBytes(16).toString('base64url')}`;
      const others = [
        ...new Map(
          held.filter((token) => token.userId !== userId).map((token) => [token.userId, token.device]),
        ).values(),
      ];
      const value = [device, ...others].slice(0, MOST_ACCOUNTS).map(signed).join(SEPARATOR);
      res.cookie(COOKIE, value, { path: '/auth', httpOnly: true, sameSite: 'lax', secure, maxAge: MAX_AGE_MS });
    },
  };
}
