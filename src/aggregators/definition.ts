import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import type { ConsumerGroup, MessageStore } from '../message-store/index.ts';
import { createAggregatorProcessor } from '../subscription/aggregator-processor.ts';
import type { BatchProjection } from '../subscription/projection-batch.ts';
import {
  ALL_CATEGORIES,
  createSubscription,
  type Subscription,
  type SubscriptionSettings,
} from '../subscription/subscription.ts';
import type { SubscriberTurns } from '../subscription/turns.ts';
import { DEFAULTS } from '../config/defaults.ts';

/** What a projection's rules depend on besides its messages; the live subscribers and a rebuild must be given the same. */
export interface ProjectionSettings {
  /** One viewing per visitor and video counts per this window (VIEWING_COUNT_WINDOW_MINUTES). */
  readonly viewingCountWindowMs: number;
}

/** One subscriber of a projection: the category it reads and what it applies. */
export interface ProjectionPart {
  /** Renaming one replays its category into the projection (safe: every write is guarded, but slow). */
  readonly subscriberId: string;
  /** A category, or ALL_CATEGORIES (read up to the safe horizon, by one reader: no consumer group). */
  readonly category: string;
  readonly projection: (settings: ProjectionSettings) => BatchProjection<unknown>;
}

/**
 * A projection as the live subscribers and a rebuild both see it: written once, in its
 * aggregator, and listed once in ./projections.ts.
 */
export interface ProjectionDefinition<Name extends string = string> {
  readonly name: Name;
  /** The tables the projection owns, and nothing else writes. */
  readonly tables: readonly string[];
  readonly parts: readonly ProjectionPart[];
  /** Rows a migration put in that no event makes (the home page's one row). */
  readonly seed?: (trx: Knex.Transaction) => Promise<void>;
  /**
   * Read by no page a visitor sees right after acting (an operator's view, a weekly ranking): its
   * subscribers let the others go first after a write (src/subscription/turns.ts).
   */
  readonly background?: boolean;
}

export interface LiveProjectionDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  /** Ignored by a part that reads ALL_CATEGORIES. */
  readonly consumerGroup?: ConsumerGroup;
  readonly viewingCountWindowMs?: number;
  /** Called after each commit that moved the projection, e.g. to refresh a page's cached read. */
  readonly onApplied?: () => void;
  readonly subscription?: SubscriptionSettings;
  /** The process's turns between foreground and background subscribers, if it keeps any. */
  readonly turns?: SubscriberTurns;
}

export function projectionSettings(viewingCountWindowMs: number | undefined): ProjectionSettings {
  return { viewingCountWindowMs: viewingCountWindowMs ?? DEFAULTS.viewingCountWindowMs };
}

/** One subscription per part of `Parts`, a tuple when the definition is `as const`. */
export type SubscriptionsOf<Parts extends readonly ProjectionPart[]> = { -readonly [K in keyof Parts]: Subscription };

/** The live subscribers of a projection, one per part, in the order of its parts; none runs until started. */
export function liveSubscriptions<Parts extends readonly ProjectionPart[]>(
  definition: ProjectionDefinition & { readonly parts: Parts },
  deps: LiveProjectionDeps,
): SubscriptionsOf<Parts> {
  const { db, messageStore, logger, onApplied, subscription, turns } = deps;
  const settings = projectionSettings(deps.viewingCountWindowMs);
  return definition.parts.map(({ subscriberId, category, projection }) => {
    // The all-categories reader takes no consumer group: one process runs it, others stand by.
    const consumerGroup = category === ALL_CATEGORIES ? undefined : deps.consumerGroup;
    const processor = createAggregatorProcessor({
      db,
      subscriberId,
      projection: projection(settings),
      consumerGroup,
      onApplied,
    });
    return createSubscription({
      messageStore,
      logger,
      subscriberId,
      category,
      processor,
      consumerGroup,
      ...subscription,
      ...(turns && { turns, priority: definition.background === true ? 'background' : 'foreground' }),
    });
  }) as SubscriptionsOf<Parts>; // map keeps the length and order of the tuple, which TypeScript does not track
}

/** A part's projection by its subscriber id, for a test that feeds it messages by hand. */
export function projectionOf(
  definition: ProjectionDefinition,
  subscriberId: string,
  settings: ProjectionSettings = projectionSettings(undefined),
): BatchProjection<unknown> {
  const part = definition.parts.find((candidate) => candidate.subscriberId === subscriberId);
  if (!part)
    throw new Error(
      `${definition.name} has no subscriber ${subscriberId}; it has ${definition.parts.map((p) => p.subscriberId).join(', ')}`,
    );
  return part.projection(settings);
}

/** The live subscriber of a projection that has one part. */
export function liveSubscription(definition: ProjectionDefinition, deps: LiveProjectionDeps): Subscription {
  const [only, ...more]: Subscription[] = liveSubscriptions(definition, deps);
  if (!only || more.length > 0)
    throw new Error(`${definition.name} has ${definition.parts.length} subscribers, not one`);
  return only;
}
