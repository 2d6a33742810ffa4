import { StreamNameError } from './errors.ts';

// Message DB splits a stream name at its first dash: everything before is the category.
const CATEGORY = /^[A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9+]*)*$/;

export function assertCategory(category: string): void {
  if (!CATEGORY.test(category)) throw new StreamNameError(`Not a category name: ${JSON.stringify(category)}`);
}

export function streamName(category: string, id: string): string {
  assertCategory(category);
  if (id.length === 0) throw new StreamNameError(`Empty id for category ${category}`);
  return `${category}-${id}`;
}

/**
 * A row's category in SQL, for a condition checked row by row: what Message DB's category()
 * returns, without calling it. That function is PL/pgSQL, which PostgreSQL cannot inline, so a
 * filter on it costs a function call a row; this built-in costs a fraction. Where an index on
 * category(stream_name) serves the condition, write category(stream_name) itself: only that
 * expression matches the index.
 */
export const CATEGORY_OF_ROW = `split_part(stream_name, '-', 1)`;

export function categoryOf(name: string): string {
  const dash = name.indexOf('-');
  return dash === -1 ? name : name.slice(0, dash);
}

/** The id part of a stream name, or undefined for a category. */
function idOf(name: string): string | undefined {
  const dash = name.indexOf('-');
  return dash === -1 ? undefined : name.slice(dash + 1);
}

export function assertStreamName(name: string): void {
  const id = idOf(name);
  if (id === undefined || id.length === 0) throw new StreamNameError(`Not a stream name: ${JSON.stringify(name)}`);
  assertCategory(categoryOf(name));
}
