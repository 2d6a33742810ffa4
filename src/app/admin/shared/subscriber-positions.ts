import type { Knex } from 'knex';
import type pg from 'pg';
import { z } from 'zod';
import type { ConsumerGroup } from '../../../message-store/index.ts';
import { lastDataOfType } from '../../../message-queries/last-of-type.ts';
import { componentPositionStream } from '../../../subscription/component-processor.ts';
import type { SubscriberKind } from '../../../subscription/status.ts';

const readData = z.object({ position: z.number().int().nonnegative() });

interface PositionKey {
  readonly subscriberId: string;
  readonly kind: SubscriberKind;
  readonly group: ConsumerGroup;
}

export const positionKey = ({ subscriberId, group }: PositionKey): string =>
  `${subscriberId}/${group.member}/${group.size}`;

/**
 * Where each subscriber last stored its position, as any process would find it: aggregators in
 * subscriber_positions (one query for all of them), components in their position stream's last
 * Read. Undefined for one that has never stored a position.
 */
export async function storedPositions(
  db: Knex,
  storePool: pg.Pool,
  keys: readonly PositionKey[],
): Promise<Map<string, number | undefined>> {
  const positions = new Map<string, number | undefined>();
  const aggregators = keys.filter((key) => key.kind === 'aggregator');
  if (aggregators.length > 0) {
    const rows = await db('subscriber_positions')
      .whereIn('subscriber_id', [...new Set(aggregators.map((key) => key.subscriberId))])
      .select<{ subscriber_id: string; group_member: number; group_size: number; position: string }[]>(
        'subscriber_id',
        'group_member',
        'group_size',
        'position',
      );
    for (const row of rows)
      positions.set(`${row.subscriber_id}/${row.group_member}/${row.group_size}`, Number(row.position));
  }
  const components = keys.filter((key) => key.kind === 'component');
  const streamOf = (key: PositionKey) => componentPositionStream(key.subscriberId, key.group);
  const lastReads = await lastDataOfType(storePool, components.map(streamOf), 'Read');
  for (const key of components) {
    const parsed = readData.safeParse(lastReads.get(streamOf(key)));
    positions.set(positionKey(key), parsed.success ? parsed.data.position : undefined);
  }
  return new Map(keys.map((key) => [positionKey(key), positions.get(positionKey(key))]));
}
