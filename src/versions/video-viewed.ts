// Only a type from the contract: the store imports this table, and the contract imports the store.
import type { ViewingSource } from '../app/record-viewings/contract.ts';
import type { Evolution } from './registry.ts';

const UNKNOWN: ViewingSource = 'unknown';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * VideoViewed, version 2, says where the viewing came from (the watch page's player, a button,
 * another client). Version 1 did not record it, so an old viewing's source is 'unknown': no
 * guess from its metadata would be better than saying so.
 *
 * Version 3 names the visitor by a pseudonymous key, so the counts can take one viewing per
 * visitor and video per window. Versions 1 and 2 named nobody: their key is null, and each of
 * them counts, as it always did. There is nothing to tell their viewers apart by, and counting
 * them now as one would rewrite history the site already showed.
 */
export const videoViewedEvolution: Evolution = {
  type: 'VideoViewed',
  current: '3',
  steps: {
    '1': (data) => (isRecord(data) ? { ...data, source: UNKNOWN } : data),
    '2': (data) => (isRecord(data) ? { ...data, visitorKey: null } : data),
  },
};
