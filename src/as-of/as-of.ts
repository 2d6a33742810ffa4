import type { MessageStore, RawMessage } from '../message-store/index.ts';
import type { EntityKind, EntityState, Field, FoldRules } from './entity.ts';
import { readHistory } from './history.ts';
import { isWithin, type Point } from './point.ts';
import { userKind } from './user.ts';
import { videoKind } from './video.ts';

export const ENTITY_KINDS: Readonly<Record<string, EntityKind>> = { user: userKind, video: videoKind };

/** A message as the page lists it, without its data. */
export interface MessageSummary {
  readonly globalPosition: number;
  readonly streamName: string;
  readonly type: string;
  readonly time: Date;
}

export interface Snapshot {
  readonly point: Point;
  readonly state: EntityState;
  /** How many of the entity's messages the state folds, and the last of them. */
  readonly messages: number;
  readonly last: MessageSummary | undefined;
}

export interface Change {
  readonly label: string;
  readonly before: string;
  readonly after: string;
}

export interface EntityAsOf {
  readonly kind: EntityKind;
  readonly id: string;
  /** One per point asked for, in the order asked. */
  readonly snapshots: readonly Snapshot[];
}

/** At most this many messages are listed between two points; the count says how many there were. */
export const MAX_LISTED = 200;

const summary = ({ globalPosition, streamName, type, time }: RawMessage): MessageSummary => ({
  globalPosition,
  streamName,
  type,
  time,
});

/**
 * An entity folded from its streams up to each point: its state as it was then, by the same
 * contracts (and upcasters) the site reads with. Undefined when none of its streams has a
 * message at all (no such entity), so a page can answer 404.
 */
export async function entityAsOf(
  messageStore: MessageStore,
  kind: EntityKind,
  id: string,
  points: readonly Point[],
  rules?: FoldRules,
  /** Opens a message's sealed fields before the fold (the admin's key store); unset, they fold as sealed. */
  openData?: (data: unknown) => Promise<unknown>,
): Promise<EntityAsOf | undefined> {
  const streams = kind.streams(id);
  const versions = await Promise.all(streams.map((stream) => messageStore.streamVersion(stream)));
  if (versions.every((version) => version < 0)) return undefined;
  const read = await readHistory(messageStore, streams, points);
  const history = openData
    ? await Promise.all(read.map(async (message) => ({ ...message, data: await openData(message.data) })))
    : read;
  const snapshots = points.map((point) => {
    const folded = history.filter((message) => isWithin(point, message));
    const last = folded.at(-1);
    return { point, state: kind.fold(folded, rules), messages: folded.length, last: last && summary(last) };
  });
  return { kind, id, snapshots };
}

/** What differs between two states, field by field, in the order the fields are shown. */
export function changesBetween(before: readonly Field[], after: readonly Field[]): Change[] {
  const earlier = new Map(before.map((field) => [field.label, field.value]));
  return after
    .filter((field) => earlier.get(field.label) !== field.value)
    .map((field) => ({ label: field.label, before: earlier.get(field.label) ?? '—', after: field.value }));
}

/** The messages within one of the two points but not the other: what happened between them, oldest first. */
export async function messagesBetween(
  messageStore: MessageStore,
  kind: EntityKind,
  id: string,
  a: Point,
  b: Point,
): Promise<{ listed: MessageSummary[]; count: number }> {
  const history = await readHistory(messageStore, kind.streams(id), [a, b]);
  const between = history.filter((message) => isWithin(a, message) !== isWithin(b, message));
  return { listed: between.slice(0, MAX_LISTED).map(summary), count: between.length };
}
