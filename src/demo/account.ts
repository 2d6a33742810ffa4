import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { identityCommandStreamName, type IdentityCommand } from '../contracts/identity.ts';
import { VersionConflictError, type MessageStore } from '../message-store/index.ts';
import type { AccountLinks } from '../account-links/index.ts';
import { registrationEmailId } from '../components/identity/ids.ts';
import type { WrittenMessage } from './written.ts';

/**
 * The demo creator. Fixed, so every run (and the README) names the same account, and a second
 * run finds the first one's Register. The password is public: the account exists only where
 * demo content is seeded, which is off in production unless SEED_DEMO=true asks for it.
 */
export const DEMO_ACCOUNT = {
  userId: '5e7d0c1a-3b9f-4c2e-8a61-d4f0b7e29c53',
  email: 'demo@video-tutorials.localhost',
  password: 'demo-password',
} as const;

/** How a person reads the demo log-in, in the log and on the console. */
export const demoLogIn = (): string =>
  `Demo creator: log in as ${DEMO_ACCOUNT.email} with the password ${DEMO_ACCOUNT.password}`;

/**
 * Asks the identity component to register the demo creator, as the register form would,
 * unless it was asked before (the command stream is not empty). Written at expected version −1,
 * so two seeders racing write one Register between them. Given the site's account links (the
 * running app's cookie key), it also confirms the address as its welcome email's link would
 * (VerifyEmail, handled after the Register in the same stream): the demo creator can upload at
 * once. Without them (the seed CLI with no COOKIE_SECRET), its welcome email in MAIL_DIR has the link.
 */
export async function requestDemoAccount(
  messageStore: MessageStore,
  bcryptCost: number,
  accountLinks?: AccountLinks,
): Promise<WrittenMessage[]> {
  const stream = identityCommandStreamName(DEMO_ACCOUNT.userId);
  if ((await messageStore.streamVersion(stream)) >= 0) return [];
  const command: Extract<IdentityCommand, { type: 'Register' }> = {
    id: randomUUID(),
    type: 'Register',
    data: {
      userId: DEMO_ACCOUNT.userId,
      email: DEMO_ACCOUNT.email,
      passwordHash: await bcrypt.hash(DEMO_ACCOUNT.password, bcryptCost),
    },
    metadata: { traceId: randomUUID(), userId: DEMO_ACCOUNT.userId },
  };
  try {
    await messageStore.write(stream, command, -1);
  } catch (error) {
    if (error instanceof VersionConflictError) return [];
    throw error;
  }
  if (!accountLinks) return [{ streamName: stream, type: command.type }];
  const requestId = registrationEmailId(DEMO_ACCOUNT.userId);
  const tokenHash = accountLinks.hashOf(accountLinks.tokenFor('verify-email', requestId));
  await messageStore.write(stream, {
    id: randomUUID(),
    type: 'VerifyEmail',
    data: { userId: DEMO_ACCOUNT.userId, requestId, tokenHash },
    metadata: { traceId: command.metadata.traceId, userId: DEMO_ACCOUNT.userId },
  });
  return [
    { streamName: stream, type: command.type },
    { streamName: stream, type: 'VerifyEmail' },
  ];
}
