import {
  describePoint,
  MAX_LISTED,
  utc,
  type CatalogCounts,
  type Change,
  type EntityAsOf,
  type MessageSummary,
  type Point,
  type Snapshot,
} from '../../../as-of/index.ts';
import { messageHref } from '../shared/format.ts';

function messageView(message: MessageSummary) {
  return {
    href: messageHref(message.globalPosition),
    globalPosition: message.globalPosition,
    type: message.type,
    streamName: message.streamName,
    time: utc(message.time),
  };
}

function snapshotView(snapshot: Snapshot) {
  return {
    point: describePoint(snapshot.point),
    exists: snapshot.state.exists,
    fields: snapshot.state.fields,
    unreadable: snapshot.state.unreadable,
    messages: snapshot.messages,
    last: snapshot.last && messageView(snapshot.last),
  };
}

/** The page's view of an entity at one or two points; with two, what changed and the messages between. */
export function entityView(
  asOf: EntityAsOf,
  between: { listed: readonly MessageSummary[]; count: number } | undefined,
  changes: readonly Change[] | undefined,
) {
  return {
    kind: asOf.kind.label,
    id: asOf.id,
    href: asOf.kind.kind === 'user' ? `/admin/users/${asOf.id}` : `/videos/${asOf.id}`,
    snapshots: asOf.snapshots.map(snapshotView),
    changes,
    between: between && {
      listed: between.listed.map(messageView),
      count: between.count,
      cut: between.count > MAX_LISTED,
    },
  };
}

export function catalogView(point: Point, counts: CatalogCounts) {
  return { point: describePoint(point), ...counts };
}
