/** A video's row as a batch writes it: only the columns its events set, and its last event's position. */
export interface TouchedRow {
  readonly videoId: string;
  readonly set: object;
  readonly position: number;
}

/**
 * A batch's columns (name → SQL type) as its statement names them: `typed`, the definition of
 * the rows' jsonb_to_recordset (aliased `c`, with video_id and publishing_position around them);
 * `inserted`, what a new row takes, a table default (`defaults`) where no event set a column.
 */
export function batchColumns(
  types: Readonly<Record<string, string>>,
  defaults: Readonly<Record<string, string>> = {},
): { readonly names: readonly string[]; readonly typed: string; readonly inserted: string } {
  const names = Object.keys(types);
  return {
    names,
    typed: names.map((name) => `${name} ${types[name]}`).join(', '),
    inserted: names
      .map((name) => (defaults[name] === undefined ? `c.${name}` : `coalesce(c.${name}, ${defaults[name]})`))
      .join(', '),
  };
}

/** The CTE the SET clauses read: video id → the names of the columns its events set. */
export const TOUCHED_CTE = 'touched AS (SELECT ?::jsonb AS map)';

/**
 * SET clauses for a batch's upsert (or UPDATE … FROM): each column from `source` (an upsert's
 * `excluded`, else the rows' alias) where the row's events set it, else as the row (`alias`)
 * holds it, so a column no event touched (a long description, say) is not written again.
 * PostgreSQL finds a key of a jsonb object by binary search; `\\?` is jsonb's ? operator, escaped
 * from Knex's placeholders.
 */
export function setTouched(columns: readonly string[], alias: string, source = 'excluded'): string {
  return columns
    .map(
      (name) =>
        `${name} = CASE WHEN ((SELECT map FROM touched) -> ${source}.video_id::text) \\? '${name}' THEN ${source}.${name} ELSE ${alias}.${name} END`,
    )
    .join(', ');
}

/** The bindings of TOUCHED_CTE and of the rows' jsonb_to_recordset, in that order. */
export function touchedBindings(rows: readonly TouchedRow[]): [string, string] {
  return [
    JSON.stringify(Object.fromEntries(rows.map(({ videoId, set }) => [videoId, Object.keys(set)]))),
    JSON.stringify(
      rows.map(({ videoId, set, position }) => ({ video_id: videoId, ...set, publishing_position: position })),
    ),
  ];
}
