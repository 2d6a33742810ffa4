import { createHash } from 'node:crypto';
import type { Session } from './session.ts';

export interface ConsumerGroup {
  readonly member: number;
  readonly size: number;
}

export const SOLE_MEMBER: ConsumerGroup = { member: 0, size: 1 };

export type ClaimResult =
  | { readonly ok: true; readonly claim: Claim }
  | { readonly ok: false; readonly reason: string };

export interface Claim {
  /** False once the session connection that held it is lost. */
  readonly held: boolean;
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

const MAX_GROUP_SIZE = 32_767;

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
  const held = new Map<string, { held: boolean }>();
  session.onLost(() => {
    for (const state of held.values()) state.held = false;
    held.clear();
  });

  return {
    async claim(subscriberId, group) {
      if (!(Number.isInteger(group.size) && group.size >= 1 && group.size <= MAX_GROUP_SIZE)) {
        return { ok: false, reason: `group size must be between 1 and ${MAX_GROUP_SIZE}` };
      }
      if (!(Number.isInteger(group.member) && group.member >= 0 && group.member < group.size)) {
        return { ok: false, reason: `member must be between 0 and ${group.size - 1}` };
      }
      const [subscriberKey, memberKey] = lockKeys(subscriberId, group);
      const name = `${subscriberId}#${memberKey}`;
      if (held.has(name)) return { ok: false, reason: `${describe(memberKey)} already runs in this process` };
      const client = await session.client();
      if (!client) return { ok: false, reason: 'the message store is unreachable' };

      const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [subscriberKey, memberKey]);
      if (!locked.rows[0]?.ok) return { ok: false, reason: `another process runs ${describe(memberKey)}` };
      // Holding our member, look for members of another size: they would read overlapping shares.
      const others = await client.query<{ member_key: string }>(
        `SELECT DISTINCT objid::text AS member_key FROM pg_locks
          WHERE locktype = 'advisory' AND objsubid = 2 AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::text::bigint = $1 AND objid::text::bigint <> $2`,
        [subscriberKey, memberKey],
      );
      const clash = others.rows.map((row) => Number(row.member_key)).find((key) => Math.floor(key / 65_536) !== group.size);
      // Another session of ours may hold a lock on a member of this subscriber: only the size matters.
      if (clash !== undefined) {
        await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [subscriberKey, memberKey]);
        return { ok: false, reason: `another process runs ${describe(clash)}: every member must use one group size` };
      }

      const state = { held: true };
      held.set(name, state);
      return {
        ok: true,
        claim: {
          get held() {
            return state.held;
          },
          async release() {
            if (!state.held) return;
            state.held = false;
            held.delete(name);
            const current = await session.client();
            await current?.query('SELECT pg_advisory_unlock($1::int, $2::int)', [subscriberKey, memberKey]).catch(() => undefined);
          },
        },
      };
    },
  };
}
