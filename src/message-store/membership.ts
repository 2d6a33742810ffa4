import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Session } from './session.ts';

export interface ConsumerGroup {
  readonly member: number;
  readonly size: number;
}

export const SOLE_MEMBER: ConsumerGroup = { member: 0, size: 1 };

export type ClaimResult =
  { readonly ok: true; readonly claim: Claim } | { readonly ok: false; readonly reason: string };

export interface Claim {
  /** False once the session connection that held it is lost. */
  readonly held: boolean;
  /** Aborted when the claim is lost, so work under it can stop at once. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface Membership {
  /**
   * Claims the right to run `subscriberId` as `group` member: refused while another running
   * subscriber (here or in another process) holds the same member of the same group, or runs
   * the subscriber with another group size (their shares of the category would overlap).
   */
  claim(subscriberId: string, group: ConsumerGroup): Promise<ClaimResult>;
}

/** Message DB takes a consumer group's size as a smallint. */
export const MAX_GROUP_SIZE = 32_767;

const isWhole = (value: number, least: number, most: number): boolean =>
  Number.isInteger(value) && value >= least && value <= most;

/** What is wrong with a group Message DB would not read for; undefined for one it would. */
export function consumerGroupProblem({ member, size }: ConsumerGroup): string | undefined {
  if (!isWhole(size, 1, MAX_GROUP_SIZE)) return `group size must be between 1 and ${MAX_GROUP_SIZE}`;
  if (!isWhole(member, 0, size - 1)) return `member must be between 0 and ${size - 1}`;
  return undefined;
}

/** Every store refuses, before reading, a group Message DB would not read for. */
export function assertConsumerGroup(group: ConsumerGroup): void {
  const problem = consumerGroupProblem(group);
  if (problem) throw new Error(`consumer group member ${group.member} of ${group.size}: ${problem}`);
}

/** Two 31-bit keys: the subscriber, and its member/size, so pg_locks shows every running member. */
function lockKeys(subscriberId: string, { member, size }: ConsumerGroup): [number, number] {
  const digest = createHash('sha256').update(subscriberId).digest();
  return [digest.readUInt32BE(0) & 0x7fffffff, size * 65_536 + member];
}

function describe(keyTwo: number): string {
  return `member ${keyTwo % 65_536} of ${Math.floor(keyTwo / 65_536)}`;
}

/** Session advisory locks on the message store: they vanish with a crashed process, so a restarted or standby process takes over. */
export function createMembership(session: Session): Membership {
  const held = new Map<string, { held: boolean; readonly lost: AbortController }>();
  session.onLost(() => {
    for (const state of held.values()) {
      state.held = false;
      state.lost.abort();
    }
    held.clear();
  });

  return {
    async claim(subscriberId, group) {
      const problem = consumerGroupProblem(group);
      if (problem) return { ok: false, reason: problem };
      const [subscriberKey, memberKey] = lockKeys(subscriberId, group);
      const name = `${subscriberId}#${memberKey}`;
      if (held.has(name)) return { ok: false, reason: `${describe(memberKey)} already runs in this process` };
      // Reserved before the first await, so two claims in this process cannot both go through.
      const state = { held: false, lost: new AbortController() };
      held.set(name, state);
      const refuse = (reason: string): ClaimResult => {
        held.delete(name);
        return { ok: false, reason };
      };
      // Through the session's queue: the heartbeat and other claims use the same connection,
      // and pg will not run two queries on one client at once.
      const run = async <Row extends pg.QueryResultRow>(text: string): Promise<pg.QueryResult<Row>> => {
        const result = await session.query<Row>(text, [subscriberKey, memberKey]);
        if (!result) throw new Error('the message store session connection is down');
        return result;
      };
      if (!(await session.client())) return refuse('the message store is unreachable');
      let locked = false;
      try {
        locked =
          (await run<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok')).rows[0]?.ok === true;
        if (!locked) return refuse(`another process runs ${describe(memberKey)}`);
        // Holding our member, look for members of another size: they would read overlapping shares.
        const others = await run<{ member_key: string }>(
          `SELECT DISTINCT objid::text AS member_key FROM pg_locks
            WHERE locktype = 'advisory' AND objsubid = 2 AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::text::bigint = $1 AND objid::text::bigint <> $2`,
        );
        const clash = others.rows
          .map((row) => Number(row.member_key))
          .find((key) => Math.floor(key / 65_536) !== group.size);
        if (clash !== undefined) {
          await run('SELECT pg_advisory_unlock($1::int, $2::int)');
          return refuse(`another process runs ${describe(clash)}: every member must use one group size`);
        }
      } catch (error) {
        // Never keep a lock we could not finish claiming: the member would be blocked for good.
        if (locked) await run('SELECT pg_advisory_unlock($1::int, $2::int)').catch(() => undefined);
        held.delete(name);
        throw error;
      }
      state.held = true;
      return {
        ok: true,
        claim: {
          get held() {
            return state.held;
          },
          lost: state.lost.signal,
          async release() {
            if (!state.held) return;
            state.held = false;
            held.delete(name);
            await session
              .query('SELECT pg_advisory_unlock($1::int, $2::int)', [subscriberKey, memberKey])
              .catch(() => undefined);
          },
        },
      };
    },
  };
}
