import { z } from 'zod';
import { streamName, type MessagesOf } from '../message-store/index.ts';

export const AUTHENTICATION_CATEGORY = 'authentication';

export const authenticationSchemas = {
  UserLoggedIn: z.object({ userId: z.uuid() }),
  UserLoginFailed: z.object({ userId: z.uuid(), reason: z.string().min(1) }),
  // everywhere: every session of the user ended ("log out everywhere"), not only this browser's.
  UserLoggedOut: z.object({ userId: z.uuid(), everywhere: z.literal(true).optional() }),
} as const;

export type AuthenticationEvent = MessagesOf<typeof authenticationSchemas>;

export const LOGIN_FAILURE_REASONS = { wrongPassword: 'wrong password' } as const;

export const authenticationStreamName = (userId: string): string => streamName(AUTHENTICATION_CATEGORY, userId);
