import { z } from 'zod';

/** Where a page of the users list ends: the last row's email and id (the list's order). */
export interface UserListPosition {
  readonly email: string;
  readonly userId: string;
}

const position = z.object({ email: z.string().min(1).max(254), userId: z.uuid() });

/** Opaque in links (`?after=`), so nobody builds on its shape. */
export function encodeUserCursor(at: UserListPosition): string {
  return Buffer.from(`${at.userId} ${at.email}`).toString('base64url');
}

/** Undefined for anything this list did not make (a mangled or hand-edited link). */
export function decodeUserCursor(value: unknown): UserListPosition | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const space = text.indexOf(' ');
  const parsed = position.safeParse({ userId: text.slice(0, space), email: text.slice(space + 1) });
  return space > 0 && parsed.success
    ? { email: parsed.data.email, userId: parsed.data.userId.toLowerCase() }
    : undefined;
}
