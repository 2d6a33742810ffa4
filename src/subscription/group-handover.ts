import { createHash } from 'node:crypto';
import type { RawMessage } from '../message-store/index.ts';

/**
 * The member of a consumer group of `size` that Message DB gives a stream to: the absolute
 * value of the first 64 bits of the md5 of the stream's cardinal id, modulo the size (its
 * get_category_messages), so positions can be handed over when the size changes.
 */
export function memberOf(streamName: string, size: number): number {
  const dash = streamName.indexOf('-');
  const cardinalId = (dash === -1 ? '' : streamName.slice(dash + 1)).split('+')[0] ?? '';
  const hash = BigInt.asIntN(64, BigInt(`0x${createHash('md5').update(cardinalId).digest('hex').slice(0, 16)}`));
  const magnitude = hash < 0n ? -hash : hash;
  return Number(magnitude % BigInt(size));
}

/** Where the members of an earlier group size had got to, each over its own share of streams. */
export interface PreviousGroup {
  readonly size: number;
  /** Stored position per member; a member that never ran is missing (nothing handled). */
  readonly positions: ReadonlyMap<number, number>;
}

export interface Handover {
  /** Where a member of the new size starts: no earlier member had handled anything before it. */
  readonly from: number;
  /** Past this, every earlier member's progress is behind us and nothing needs checking. */
  readonly until: number;
  /** Did the earlier member that owned this message's stream handle it already? */
  handled(message: RawMessage): boolean;
}

/**
 * Taking over from a group of another size: start at the lowest position any earlier member
 * stored, and pass over what the earlier owner of each stream had already handled. Without it
 * a new size would start from nothing and apply the whole category again.
 */
export function handoverFrom(previous: PreviousGroup): Handover {
  const positionOf = (member: number) => previous.positions.get(member) ?? 0;
  const members = Array.from({ length: previous.size }, (_, member) => positionOf(member));
  return {
    from: Math.min(...members),
    until: Math.max(...members),
    handled: (message) => message.globalPosition <= positionOf(memberOf(message.streamName, previous.size)),
  };
}
