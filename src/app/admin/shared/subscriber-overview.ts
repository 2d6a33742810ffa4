import type { FailedMessage, SubscriberKind, SubscriberStatus } from '../../../subscription/status.ts';
import { PARKED_LISTED, pendingParked } from './parked-pending.ts';
import type { AdminDeps } from '../section.ts';
import { categoryLags, type CategoryLag } from '../../../message-queries/lag.ts';
import { positionKey, storedPositions } from './subscriber-positions.ts';

/** One subscriber (one member of a consumer group), as the subscribers page and the dashboard show it. */
export interface SubscriberOverview {
  readonly subscriberId: string;
  readonly kind: SubscriberKind;
  readonly category: string;
  readonly group: { readonly member: number; readonly size: number };
  /** Live, when this process runs it; otherwise undefined and the stored position is all there is. */
  readonly status: SubscriberStatus | undefined;
  readonly storedPosition: number | undefined;
  /** The live position when it runs here, else the stored one (0 before the first). */
  readonly position: number;
  readonly lag: CategoryLag;
  /** Components: messages parked and not yet replayed or discarded (a lower bound when ParkedCounts.more). Aggregators never park. */
  readonly parked: number;
  readonly failure: FailedMessage | undefined;
}

interface ParkedCounts {
  readonly total: number;
  readonly bySubscriber: ReadonlyMap<string, number>;
  /** More are waiting than were read: the counts are lower bounds. */
  readonly more: boolean;
}

type Deps = Pick<AdminDeps, 'db' | 'messageStorePool' | 'subscriberStatus' | 'subscriptions'>;

/** Waiting parked messages, as the parked section defines them (not replayed, not discarded), per subscriber. */
async function parkedCounts(pool: Deps['messageStorePool']): Promise<ParkedCounts> {
  const pending = await pendingParked(pool, PARKED_LISTED);
  const bySubscriber = new Map<string, number>();
  for (const entry of pending) bySubscriber.set(entry.subscriberId, (bySubscriber.get(entry.subscriberId) ?? 0) + 1);
  return { total: pending.length, bySubscriber, more: pending.length >= PARKED_LISTED };
}

/**
 * Every subscriber the system defines, whether this process runs it or not: its position from
 * the checkpoints (or live), its category's head and its lag from the store, its state from the
 * live status when it runs here, and what it has parked from its dead-letter stream.
 */
export async function loadSubscribers({
  db,
  messageStorePool: pool,
  subscriberStatus,
  subscriptions,
}: Deps): Promise<{ subscribers: SubscriberOverview[]; parked: ParkedCounts }> {
  const live = subscriberStatus();
  // A subscription's own status() carries what it is (kind, category, group) even when not started.
  const defined = subscriptions.map((subscription) => subscription.status());
  const keys = defined.map((status) => ({
    subscriberId: status.subscriberId,
    kind: status.kind,
    group: status.consumerGroup,
  }));
  const [stored, parked] = await Promise.all([storedPositions(db, pool, keys), parkedCounts(pool)]);
  const standing = defined.map((definition, n) => {
    const key = keys[n]!;
    const group = definition.consumerGroup;
    const status = live.find(
      (running) =>
        running.subscriberId === key.subscriberId &&
        running.consumerGroup.member === group.member &&
        running.consumerGroup.size === group.size,
    );
    const storedPosition = stored.get(positionKey(key));
    return {
      definition,
      key,
      group,
      status,
      storedPosition,
      position: Math.max(status?.position ?? 0, storedPosition ?? 0),
    };
  });
  const lags = await categoryLags(
    pool,
    standing.map(({ definition, position, group }) => ({ category: definition.category, position, group })),
  );
  const subscribers = standing.map(
    ({ definition, key, group, status, storedPosition, position }, n): SubscriberOverview => ({
      subscriberId: key.subscriberId,
      kind: key.kind,
      category: definition.category,
      group,
      status,
      storedPosition,
      position,
      lag: lags[n]!,
      parked: parked.bySubscriber.get(key.subscriberId) ?? 0,
      failure: status?.failure,
    }),
  );
  return { subscribers, parked };
}
