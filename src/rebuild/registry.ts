import type { Knex } from 'knex';
import { projectionSettings } from '../aggregators/definition.ts';
import { PROJECTIONS, type ProjectionName } from '../aggregators/projections.ts';
import type { BatchProjection } from '../subscription/projection-batch.ts';

export type { ProjectionName } from '../aggregators/projections.ts';

/** What `npm run projections:rebuild` and the admin page accept, besides 'all'. */
export const PROJECTION_NAMES: readonly ProjectionName[] = PROJECTIONS.map((projection) => projection.name);

/** One subscriber of a projection: the category it reads and the very projection its live subscriber applies. */
export interface RebuildPart {
  readonly subscriberId: string;
  /** A category, or ALL_CATEGORIES. */
  readonly category: string;
  readonly projection: BatchProjection<unknown>;
}

export interface RebuildableProjection {
  readonly name: ProjectionName;
  /** The tables the projection owns, and nothing else writes. */
  readonly tables: readonly string[];
  readonly parts: readonly RebuildPart[];
  /** Rows a migration put in that no event makes (the home page's one row). */
  readonly seed?: (trx: Knex.Transaction) => Promise<void>;
}

export interface RegistrySettings {
  /** The live aggregators' window for counting viewings (VIEWING_COUNT_WINDOW_MINUTES): a rebuild must count as they do. */
  readonly viewingCountWindowMs?: number;
}

/** The projections that can be rebuilt from the log: the aggregators' own definitions, with the live subscribers' settings. */
export function rebuildableProjections(settings: RegistrySettings = {}): readonly RebuildableProjection[] {
  const given = projectionSettings(settings.viewingCountWindowMs);
  return PROJECTIONS.map((definition) => ({
    ...definition,
    parts: definition.parts.map(({ subscriberId, category, projection }) => ({
      subscriberId,
      category,
      projection: projection(given),
    })),
  }));
}

/** The projections a name picks: one by its name, or every one for 'all'; undefined for an unknown name. */
export function pickProjections(
  all: readonly RebuildableProjection[],
  name: string,
): readonly RebuildableProjection[] | undefined {
  if (name === 'all') return all;
  const found = all.find((projection) => projection.name === name);
  return found ? [found] : undefined;
}
