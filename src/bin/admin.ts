import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { liveSubscriptions } from '../aggregators/definition.ts';
import { userCredentialsDefinition } from '../aggregators/user-credentials/index.ts';
import {
  ADMIN_ROLE,
  emailSchema,
  identityCommandStreamName,
  identityEmailStreamName,
  identityRoleChangeSchemas,
  identityRoleChangeStreamName,
  normaliseEmail,
  REJECTION_REASONS,
  type IdentityCommand,
  type IdentityRoleChangeEvent,
  type RoleChange,
} from '../contracts/identity.ts';
import { createIdentityCommandSubscription } from '../components/identity/index.ts';
import { createAccountLinks, type AccountLinks } from '../account-links/index.ts';
import { reservationOf } from '../components/identity/reservation.ts';
import { createPersonalData } from '../personal-data/seal.ts';
import { parseEnv, type DatabaseUrls, type Env } from '../config/env.ts';
import { createAppDatabase } from '../db/app-database.ts';
import { prepareDatabases } from '../db/prepare-databases.ts';
import type { Logger } from '../logger.ts';
import { parseMessage } from '../contracts/parse.ts';
import { messageVersions } from '../contracts/versions.ts';
import {
  createMessageStore,
  createMessageStorePool,
  type MessageStore,
  type Recorded,
} from '../message-store/index.ts';
import {
  cliLogger,
  cliOperatorLabel,
  EXIT,
  interruptSignal,
  runCliTool,
  UsageError,
  usageErrorFrom,
  withDatabases,
} from './cli.ts';

/*
 * npm run admin -- grant <email>      give the user registered with <email> the admin role
 * npm run admin -- revoke <email>     take it away
 *   --wait <seconds>                  how long to wait for the identity component (default 30)
 *
 * The CLI only writes a command and waits for the identity component's decision, so roles change
 * by the same rules (and leave the same events) as any other identity change. For that to work
 * with the app stopped, the CLI runs the identity command subscriber and the user-credentials
 * aggregator itself while it waits, under their own subscriber ids: when the app is running, it
 * holds those members (membership advisory locks), so the CLI's copies stand by and the app
 * decides; when it is not, the CLI's copies claim them, decide, and leave the positions where
 * the app will go on from. Either way exactly one process handles the command.
 */

const USAGE = 'usage: npm run admin -- grant <email> | revoke <email> [--wait <seconds>]';
const POLL_MS = 100;

// Ctrl-C while waiting: stop our subscribers and a server we started, rather than die and leave them.
const interrupted = interruptSignal();

async function pollUntil<T>(deadline: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  while (Date.now() < deadline && !interrupted.aborted) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(POLL_MS, undefined, { signal: interrupted }).catch(() => undefined);
  }
  return undefined;
}

interface Request {
  readonly change: RoleChange;
  readonly email: string;
  readonly waitMs: number;
}

function parseRequest(argv: readonly string[]): Request {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { wait: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const [verb, address, ...rest] = parsed.positionals;
  if ((verb !== 'grant' && verb !== 'revoke') || address === undefined || rest.length > 0) throw new UsageError(USAGE);
  const email = normaliseEmail(address);
  if (!emailSchema.safeParse(email).success) throw new UsageError(`not an email address: ${JSON.stringify(address)}`);
  const seconds = Number(parsed.values.wait ?? 30);
  if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= 3600))
    throw new UsageError('--wait takes a number of seconds, at most 3600');
  return { change: verb, email, waitMs: seconds * 1000 };
}

type Outcome = Recorded<IdentityRoleChangeEvent>;

async function waitForOutcome(
  messageStore: MessageStore,
  commandId: string,
  deadline: number,
): Promise<Outcome | undefined> {
  const stream = identityRoleChangeStreamName(commandId);
  return pollUntil(deadline, async () => {
    const last = await messageStore.readLastMessage(stream);
    return last && parseMessage(identityRoleChangeSchemas, last);
  });
}

/** True once user_credentials shows the change; false if the deadline passes first. */
async function waitForCredentials(db: Knex, userId: string, admin: boolean, deadline: number): Promise<boolean> {
  const shown = await pollUntil(deadline, async () => {
    const row = await db('user_credentials').where({ user_id: userId }).first<{ roles: string[] } | undefined>('roles');
    return row?.roles.includes(ADMIN_ROLE) === admin ? true : undefined;
  });
  return shown === true;
}

const refusal = (email: string, reason: string) =>
  `Refused: ${reason} (${email}). Register that address first, or check its spelling.`;

function describe(outcome: Outcome, email: string): { line: string; code: number } {
  if (outcome.type === 'AdminRoleChangeRejected')
    return { line: refusal(email, outcome.data.reason), code: EXIT.failure };
  const { userId, change, alreadyInEffect } = outcome.data;
  if (alreadyInEffect)
    return {
      line: `No change: ${email} (user ${userId}) ${change === 'grant' ? 'is already' : 'is not'} an admin.`,
      code: EXIT.ok,
    };
  return {
    line:
      change === 'grant'
        ? `Granted the admin role to ${email} (user ${userId}).`
        : `Revoked the admin role of ${email} (user ${userId}).`,
    code: EXIT.ok,
  };
}

async function run(
  request: Request,
  urls: DatabaseUrls,
  logger: Logger,
  accountLinks: AccountLinks | undefined,
): Promise<number> {
  await prepareDatabases(urls, logger);
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 3 });
  const messageStore = createMessageStore({ pool, url: urls.messageStoreUrl, logger, versions: messageVersions });
  const db = createAppDatabase(urls.databaseUrl, { logger, poolMax: 2 });
  const personalData = createPersonalData(db);
  const subscriptions = [
    // With the app's key it can decide a VerifyEmail waiting in the category too; without, one is parked for the app.
    createIdentityCommandSubscription({
      messageStore,
      logger,
      personalData,
      accountLinks,
      subscription: { pollIntervalMs: 500 },
    }),
    ...liveSubscriptions(userCredentialsDefinition, {
      db,
      messageStore,
      logger,
      subscription: { pollIntervalMs: 500 },
    }),
  ];
  try {
    for (const subscription of subscriptions) subscription.start();
    // Interrupted while the databases were prepared: nothing asked yet, so nothing to leave behind.
    if (interrupted.aborted) return EXIT.interrupted;
    const deadline = Date.now() + request.waitMs;
    // The command names the user by id, with the address sealed with their key: an unknown address
    // is refused here, so no message ever holds an address nobody registered.
    const { holder } = await reservationOf(messageStore, identityEmailStreamName(request.email));
    const sealed =
      holder === undefined ? undefined : await personalData.seal(holder, request.email).catch(() => undefined);
    if (holder === undefined || sealed === undefined) {
      process.stderr.write(`${refusal(request.email, REJECTION_REASONS.unknownEmail)}\n`);
      return EXIT.failure;
    }
    const commandId = randomUUID();
    const type = request.change === 'grant' ? 'GrantAdminRole' : 'RevokeAdminRole';
    const command: Extract<IdentityCommand, { type: typeof type }> = {
      // The command's id is its stream's: writing it twice stores it once.
      id: commandId,
      type,
      data: { commandId, userId: holder, email: sealed, by: cliOperatorLabel() },
      metadata: { traceId: randomUUID(), userId: null },
    };
    await messageStore.write(identityCommandStreamName(commandId), command);

    const outcome = await waitForOutcome(messageStore, commandId, deadline);
    if (interrupted.aborted) {
      process.stderr.write(
        `Interrupted. The command stays in ${identityCommandStreamName(commandId)} and is decided when the identity component runs.\n`,
      );
      return EXIT.interrupted;
    }
    if (!outcome) {
      process.stderr.write(
        `No decision within ${request.waitMs / 1000} s. The command stays in ${identityCommandStreamName(commandId)} and is decided ` +
          'when the identity component runs; if the app is running, check its /status for a stalled or parked subscriber.\n',
      );
      return EXIT.failure;
    }
    const { line, code } = describe(outcome, request.email);
    (code === EXIT.ok ? process.stdout : process.stderr).write(`${line}\n`);
    if (outcome.type === 'AdminRoleChangeCompleted') {
      // A decision that came just before the deadline still gives the projection a moment.
      const shown = await waitForCredentials(
        db,
        outcome.data.userId,
        outcome.data.change === 'grant',
        Math.max(deadline, Date.now() + 5_000),
      );
      if (!shown && !interrupted.aborted)
        process.stderr.write(
          'Note: user_credentials does not show it yet; the app applies it when its user-credentials aggregator catches up.\n',
        );
    }
    return code;
  } finally {
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await messageStore.close();
    await Promise.all([pool.end(), db.destroy()]);
  }
}

await runCliTool({
  name: 'admin',
  usage: USAGE,
  parse: (args, environment): { request: Request; env: Env } => ({
    request: parseRequest(args),
    env: parseEnv(environment),
  }),
  run({ request, env }) {
    const logger = cliLogger(env);
    return withDatabases(env, logger, (urls) =>
      run(
        request,
        urls,
        logger,
        env.cookieSecrets?.[0] === undefined ? undefined : createAccountLinks(env.cookieSecrets[0]),
      ),
    );
  },
});
